/**
 * Fault experiments over the whole local stack: drive load through `POST /collect`, inject a
 * fault over the endpoint's HTTP controls (as a person would with curl), then count what came
 * out in S3 against what was acknowledged. Every scenario prints one line:
 *
 *   [faults] <name>: sent=… acknowledged=… 503=… other=… delivered=… missing=… duplicated=…
 *
 * missing = acknowledged events not in S3; duplicated = events stored more than once. No client
 * ever retries here, so every duplicate comes from inside one send.
 */
import type { Stack } from '../../local/stack.ts';
import { readLocalObjects, waitFor } from '../helpers/local-s3.ts';
import { useTestStack } from '../helpers/test-stack.ts';

export interface LoadResult {
  sent: number;
  acknowledged: Set<string>;
  unavailable: Set<string>;
  other: Map<number, number>;
}

export interface Counts {
  sent: number;
  acknowledged: number;
  unavailable: number;
  other: number;
  delivered: number;
  missing: number;
  duplicated: number;
  /** Events answered 503 that were stored anyway (allowed: a 503 promises nothing). */
  storedAfter503: number;
}

/** POST to the local AWS endpoint's control routes; throws unless 2xx. */
export async function control(stack: { aws: string }, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${stack.aws}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One stack for a describe block of scenarios, on the defaults of `useTestStack`. */
export function useFaultStack(): () => Stack {
  return useTestStack('faults-');
}

/**
 * Sends `requests` POSTs of `perRequest` events each (20 unless said), `concurrency` at a time (4
 * unless said: the load most scenarios want), with ids `<tag>-<request>-<event>`; records which
 * ids were acknowledged (200) or refused with 503. `timeoutMs` bounds each request on the client
 * side (an unanswered request counts as other).
 */
export async function load(
  api: string,
  options: {
    tag: string;
    requests: number;
    perRequest?: number;
    concurrency?: number;
    appId?: string;
    pauseMs?: number;
    timeoutMs?: number;
  },
): Promise<LoadResult> {
  const appId = options.appId ?? 'demo-app';
  const perRequest = options.perRequest ?? 20;
  const result: LoadResult = { sent: 0, acknowledged: new Set(), unavailable: new Set(), other: new Map() };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const r = next++;
      if (r >= options.requests) return;
      const ids = Array.from({ length: perRequest }, (_, i) => `${options.tag}-${r}-${i}`);
      const body = JSON.stringify(
        ids.map((id) => ({
          event_id: id,
          event_type: 'click',
          timestamp: Date.now(),
          app_id: appId,
          user_id: `u-${r % 13}`,
        })),
      );
      result.sent += ids.length;
      let status = 0;
      try {
        const res = await fetch(`${api}/collect?appId=${appId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        status = res.status;
        const answer = (await res.json()) as { rejected?: { index: number }[] };
        if (status === 200) {
          const rejected = new Set((answer.rejected ?? []).map((x) => x.index));
          ids.forEach((id, i) => {
            if (!rejected.has(i)) result.acknowledged.add(id);
          });
        }
      } catch {
        status = -1;
      }
      if (status === 503) ids.forEach((id) => result.unavailable.add(id));
      else if (status !== 200) result.other.set(status, (result.other.get(status) ?? 0) + ids.length);
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return result;
}

/** Runs `faults` while `traffic` goes on, then resolves to what the traffic saw. */
export async function during(traffic: Promise<LoadResult>, faults: () => Promise<void>): Promise<LoadResult> {
  await faults();
  return traffic;
}

/** Sends one broker control (`stop`, `start`, `delay`) to every dev broker, one after the other. */
export async function everyBroker(stack: Stack, action: string, body?: unknown): Promise<void> {
  for (const id of stack.cluster.nodeIds) await control(stack, 'POST', `/_local/kafka/brokers/${id}/${action}`, body);
}

/** Stored events of the data bucket, by event id → how many times. */
export async function storedCounts(s3Dir: string, prefix = 'events/'): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const { event } of await readLocalObjects(s3Dir, 'clickstream-local', prefix)) {
    const id = String(event.event_id);
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/**
 * Waits until every acknowledged event is in S3 (or `timeoutMs` passes: the count then shows
 * what is missing), and counts.
 */
export async function settle(s3Dir: string, loads: LoadResult[], timeoutMs = 120_000): Promise<Counts> {
  const acknowledged = new Set(loads.flatMap((l) => [...l.acknowledged]));
  let counts = await storedCounts(s3Dir);
  try {
    await waitFor(
      async () => {
        counts = await storedCounts(s3Dir);
        for (const id of acknowledged) if (!counts.has(id)) return undefined;
        return true;
      },
      timeoutMs,
      `${acknowledged.size} acknowledged events in S3`,
    );
  } catch {
    // Reported as missing below.
  }
  const unavailable = new Set(loads.flatMap((l) => [...l.unavailable]));
  const ours = [...counts].filter(([id]) => acknowledged.has(id) || unavailable.has(id));
  return {
    sent: loads.reduce((n, l) => n + l.sent, 0),
    acknowledged: acknowledged.size,
    unavailable: unavailable.size,
    other: loads.reduce((n, l) => n + [...l.other.values()].reduce((a, b) => a + b, 0), 0),
    delivered: [...acknowledged].filter((id) => counts.has(id)).length,
    missing: [...acknowledged].filter((id) => !counts.has(id)).length,
    duplicated: ours.filter(([, n]) => n > 1).length,
    storedAfter503: [...unavailable].filter((id) => counts.has(id)).length,
  };
}

/** Settles `loads` and prints the scenario's line before any assertion can fail; returns the counts. */
export async function outcome(name: string, s3Dir: string, loads: LoadResult[], timeoutMs?: number): Promise<Counts> {
  const counts = await settle(s3Dir, loads, timeoutMs);
  report(name, counts);
  return counts;
}

/** The claim of a scenario whose fault never reaches the ingest: every event acknowledged, every one stored. */
export function expectEverySentStored(c: Counts): void {
  expect(c.acknowledged).toBe(c.sent);
  expect(c.missing).toBe(0);
}

/** The claim of a scenario whose fault refuses some sends: what was acknowledged is stored, and once. */
export function expectAcknowledgedStoredOnce(c: Counts): void {
  expect(c.missing).toBe(0);
  expect(c.duplicated).toBe(0);
}

export function report(name: string, c: Counts): void {
  // One line per scenario, the figures the issue asks for (printed also when assertions fail).
  process.stdout.write(
    `[faults] ${name}: sent=${c.sent} acknowledged=${c.acknowledged} 503=${c.unavailable} other=${c.other} delivered=${c.delivered} missing=${c.missing} duplicated=${c.duplicated} stored-after-503=${c.storedAfter503}\n`,
  );
}
