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
  if (e.app_id !== appId) return `app_id: '${e.app_id}' does not match the appId query parameter '${appId}'`;
  return undefined;
}

/** Splits a batch into valid events and rejections (index in the batch, event_id when known). */
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
    rejected.push({ index, ...(isNonEmptyString(id) ? { event_id: id } : {}), reason });
  });
  return { valid, rejected };
}
