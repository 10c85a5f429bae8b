/**
 * Mends a kafkajs 2.2.4 bug (tulios/kafkajs#1751 and #1704, fixes open since 2025; the project is
 * unmaintained): after every response, `RequestQueue.scheduleCheckPendingRequests` arms a timer
 * at `throttledUntil - Date.now()` even when nothing is pending or throttled. `throttledUntil`
 * starts at -1, so the delay is about minus the epoch: Node 24 prints a TimeoutNegativeWarning at
 * `npm start` and runs the timer after 1 ms, which checks the empty queue and arms the next
 * one — a 1 ms loop per connection for the life of the process. With nothing pending and no
 * throttle there is nothing to wait for, so no timer is armed (the fix proposed upstream); a
 * request that has to wait is still scheduled by `push`, which calls the original.
 *
 * Imported for its effect by every local module that uses kafkajs.
 */
import { createRequire } from 'node:module';

interface RequestQueueShape {
  pending: unknown[];
  throttledUntil: number;
  scheduleCheckPendingRequests(): void;
}

const require = createRequire(import.meta.url);
const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueShape };
const original = RequestQueue.prototype.scheduleCheckPendingRequests;
const MENDED = Symbol.for('clickstream-pipeline.kafkajs-request-queue');

if (!(MENDED in RequestQueue.prototype)) {
  Object.defineProperty(RequestQueue.prototype, MENDED, { value: true });
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueShape): void {
    if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
    original.call(this);
  };
}
