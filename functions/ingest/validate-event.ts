import { shown } from '../lib/shown.ts';
import { limits } from './limits.ts';

/** A clickstream event after validation: the four required fields typed, everything else kept. */
export interface ClickEvent {
  event_id: string;
  event_type: string;
  timestamp: number;
  app_id: string;
  [field: string]: unknown;
}

export interface Rejection {
  index: number;
  event_id?: string;
  reason: string;
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/**
 * Whether a value nests objects/arrays more than `max` levels (the value itself is level 1).
 * Iterative, so no depth a client sends can overflow the stack here.
 */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [object, number][] = value !== null && typeof value === 'object' ? [[value, 1]] : [];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > max) return true;
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child as object, depth + 1]);
    }
  }
  return false;
}

/**
 * Checks the fields every event must carry. Returns the reason naming the field at fault, or
 * undefined when the event is valid. `appId` is the query parameter the events must belong to.
 */
export function eventProblem(candidate: unknown, appId: string): string | undefined {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    return 'event must be a JSON object';
  }
  const e = candidate as Record<string, unknown>;
  if (!isNonEmptyString(e.event_id)) return 'event_id: required, must be a non-empty string';
  if (!isNonEmptyString(e.event_type)) return 'event_type: required, must be a non-empty string';
  if (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp) || e.timestamp < 0) {
    return 'timestamp: required, must be a millisecond epoch number';
  }
  if (!isNonEmptyString(e.app_id)) return 'app_id: required, must be a non-empty string';
  if (e.app_id !== appId) return `app_id: ${shown(e.app_id)} does not match the appId query parameter '${appId}'`;
  if (nestsDeeperThan(e, limits.maxEventDepth)) return `event nests objects and arrays more than ${limits.maxEventDepth} levels deep`;
  return undefined;
}

/**
 * Splits a batch into valid events and rejections (index in the batch, and event_id when it is a
 * string of at most limits.maxEchoedIdChars characters: the answer must stay small).
 */
export function validateEvents(candidates: unknown[], appId: string): { valid: { index: number; event: ClickEvent }[]; rejected: Rejection[] } {
  const valid: { index: number; event: ClickEvent }[] = [];
  const rejected: Rejection[] = [];
  candidates.forEach((candidate, index) => {
    const reason = eventProblem(candidate, appId);
    if (reason === undefined) {
      valid.push({ index, event: candidate as ClickEvent });
      return;
    }
    const id = (candidate as { event_id?: unknown } | null)?.event_id;
    const echo = isNonEmptyString(id) && id.length <= limits.maxEchoedIdChars;
    rejected.push({ index, ...(echo ? { event_id: id } : {}), reason });
  });
  return { valid, rejected };
}
