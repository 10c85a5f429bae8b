/**
 * Fault switches for tests and for people trying the stack: per-record failures in
 * PutRecordBatch (those entries come back with an ErrorCode and are NOT buffered) and whole-call
 * throttling of PutRecord/PutRecordBatch. Settable in-process (`firehose.setFailureRate(...)`) and
 * over HTTP (`POST /_local/firehose/faults`).
 */

export type ThrottleErrorCode = 'ServiceUnavailableException' | 'LimitExceededException';
export type RecordErrorCode = 'ServiceUnavailableException' | 'InternalFailure';

/** `n`: the next n put calls are throttled; `{ everyNth: k }`: every k-th put call is. 0/null: off. */
export type ThrottleSetting = number | { everyNth: number } | null;

export interface FaultState {
  failureRate: number;
  recordErrorCode: RecordErrorCode;
  throttle: { mode: 'off' } | { mode: 'next'; remaining: number } | { mode: 'everyNth'; everyNth: number };
  throttleErrorCode: ThrottleErrorCode;
  /** Counters since start, for tests and the /_local status page. */
  stats: { putCalls: number; throttledCalls: number; failedRecords: number };
}

export interface FaultUpdate {
  failureRate?: number;
  recordErrorCode?: RecordErrorCode;
  throttle?: ThrottleSetting;
  throttleErrorCode?: ThrottleErrorCode;
  /** Seed for the choice of failed entries (reproducible runs). */
  seed?: number;
}

/** mulberry32: small seeded PRNG. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private state: FaultState = {
    failureRate: 0,
    recordErrorCode: 'ServiceUnavailableException',
    throttle: { mode: 'off' },
    throttleErrorCode: 'ServiceUnavailableException',
    stats: { putCalls: 0, throttledCalls: 0, failedRecords: 0 },
  };
  private random: () => number = Math.random;
  /** Fractional carry so that, over many calls, exactly `failureRate` of the entries fail. */
  private carry = 0;

  setFailureRate(rate: number, options: { errorCode?: RecordErrorCode; seed?: number } = {}): void {
    if (!(typeof rate === 'number' && rate >= 0 && rate <= 1))
      throw new RangeError(`failureRate must be a number in [0, 1], got ${String(rate)}`);
    this.state.failureRate = rate;
    this.carry = 0;
    if (options.errorCode !== undefined) this.state.recordErrorCode = options.errorCode;
    if (options.seed !== undefined) this.random = seeded(options.seed);
  }

  setThrottle(setting: ThrottleSetting, errorCode?: ThrottleErrorCode): void {
    if (setting === null || setting === 0) {
      this.state.throttle = { mode: 'off' };
    } else if (typeof setting === 'number') {
      if (!Number.isInteger(setting) || setting < 0)
        throw new RangeError(`throttle must be a non-negative integer, got ${setting}`);
      this.state.throttle = { mode: 'next', remaining: setting };
    } else {
      const k = setting.everyNth;
      if (!Number.isInteger(k) || k < 1)
        throw new RangeError(`throttle.everyNth must be a positive integer, got ${String(k)}`);
      this.state.throttle = { mode: 'everyNth', everyNth: k };
    }
    if (errorCode !== undefined) this.state.throttleErrorCode = errorCode;
  }

  update(update: FaultUpdate): void {
    if (update.failureRate !== undefined || update.seed !== undefined || update.recordErrorCode !== undefined) {
      this.setFailureRate(update.failureRate ?? this.state.failureRate, {
        ...(update.recordErrorCode !== undefined ? { errorCode: update.recordErrorCode } : {}),
        ...(update.seed !== undefined ? { seed: update.seed } : {}),
      });
    }
    if (update.throttle !== undefined) this.setThrottle(update.throttle, update.throttleErrorCode);
    else if (update.throttleErrorCode !== undefined) this.state.throttleErrorCode = update.throttleErrorCode;
  }

  reset(): void {
    this.state.failureRate = 0;
    this.state.throttle = { mode: 'off' };
    this.state.recordErrorCode = 'ServiceUnavailableException';
    this.state.throttleErrorCode = 'ServiceUnavailableException';
    this.random = Math.random;
    this.carry = 0;
  }

  snapshot(): FaultState {
    return structuredClone(this.state);
  }

  /** Called once per PutRecord/PutRecordBatch: the error code to throttle with, or undefined. */
  throttleCall(): ThrottleErrorCode | undefined {
    this.state.stats.putCalls += 1;
    const t = this.state.throttle;
    let throttled = false;
    if (t.mode === 'next' && t.remaining > 0) {
      t.remaining -= 1;
      throttled = true;
      if (t.remaining === 0) this.state.throttle = { mode: 'off' };
    } else if (t.mode === 'everyNth') {
      throttled = this.state.stats.putCalls % t.everyNth === 0;
    }
    if (!throttled) return undefined;
    this.state.stats.throttledCalls += 1;
    return this.state.throttleErrorCode;
  }

  /**
   * Which of `count` entries fail: round(count × rate) (with the remainder carried to the next
   * call), at random positions.
   */
  failedEntries(count: number): Set<number> {
    const failed = new Set<number>();
    if (this.state.failureRate === 0 || count === 0) return failed;
    const exact = count * this.state.failureRate + this.carry;
    const n = Math.min(count, Math.floor(exact));
    this.carry = exact - n;
    // Partial Fisher-Yates over the indexes.
    const indexes = Array.from({ length: count }, (_, i) => i);
    for (let i = 0; i < n; i += 1) {
      const j = i + Math.floor(this.random() * (count - i));
      const picked = indexes[j] as number;
      indexes[j] = indexes[i] as number;
      indexes[i] = picked;
      failed.add(picked);
    }
    this.state.stats.failedRecords += n;
    return failed;
  }

  get recordErrorCode(): RecordErrorCode {
    return this.state.recordErrorCode;
  }
}

/** Parses the body of `POST /_local/firehose/faults`; throws RangeError on bad input. */
export function parseFaultUpdate(body: unknown): FaultUpdate {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new RangeError('body must be a JSON object');
  const input = body as Record<string, unknown>;
  const update: FaultUpdate = {};
  for (const key of Object.keys(input)) {
    if (!['failureRate', 'recordErrorCode', 'throttle', 'throttleErrorCode', 'seed'].includes(key)) {
      throw new RangeError(`unknown field '${key}' (failureRate, recordErrorCode, throttle, throttleErrorCode, seed)`);
    }
  }
  if (input.failureRate !== undefined) {
    if (typeof input.failureRate !== 'number') throw new RangeError('failureRate must be a number in [0, 1]');
    update.failureRate = input.failureRate;
  }
  if (input.recordErrorCode !== undefined) {
    if (input.recordErrorCode !== 'ServiceUnavailableException' && input.recordErrorCode !== 'InternalFailure') {
      throw new RangeError('recordErrorCode must be ServiceUnavailableException or InternalFailure');
    }
    update.recordErrorCode = input.recordErrorCode;
  }
  if (input.throttle !== undefined) {
    const t = input.throttle;
    if (t === null || typeof t === 'number') update.throttle = t;
    else if (
      typeof t === 'object' &&
      !Array.isArray(t) &&
      typeof (t as Record<string, unknown>).everyNth === 'number'
    ) {
      update.throttle = { everyNth: (t as { everyNth: number }).everyNth };
    } else throw new RangeError('throttle must be a number, {"everyNth": k} or null');
  }
  if (input.throttleErrorCode !== undefined) {
    if (
      input.throttleErrorCode !== 'ServiceUnavailableException' &&
      input.throttleErrorCode !== 'LimitExceededException'
    ) {
      throw new RangeError('throttleErrorCode must be ServiceUnavailableException or LimitExceededException');
    }
    update.throttleErrorCode = input.throttleErrorCode;
  }
  if (input.seed !== undefined) {
    if (typeof input.seed !== 'number' || !Number.isInteger(input.seed))
      throw new RangeError('seed must be an integer');
    update.seed = input.seed;
  }
  return update;
}
