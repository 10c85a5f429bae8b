import { FaultInjector, parseFaultUpdate } from '../../../../local/aws/firehose/faults.ts';

describe('Firehose fault injection', () => {
  it('fails exactly the configured fraction of entries over many calls', () => {
    const faults = new FaultInjector();
    faults.setFailureRate(0.3, { seed: 7 });
    let failed = 0;
    for (let i = 0; i < 100; i += 1) failed += faults.failedEntries(500).size;
    expect(failed).toBe(15_000);
    expect(faults.snapshot().stats.failedRecords).toBe(15_000);
  });

  it('spreads failed entries over the batch instead of always the first ones', () => {
    const faults = new FaultInjector();
    faults.setFailureRate(0.5, { seed: 1 });
    const picked = faults.failedEntries(100);
    expect(picked.size).toBe(50);
    expect([...picked].some((i) => i >= 50)).toBe(true);
    expect([...picked].every((i) => i >= 0 && i < 100)).toBe(true);
  });

  it('fails nothing by default and everything at rate 1', () => {
    const faults = new FaultInjector();
    expect(faults.failedEntries(10).size).toBe(0);
    faults.setFailureRate(1);
    expect(faults.failedEntries(10).size).toBe(10);
    expect(() => faults.setFailureRate(1.5)).toThrow(RangeError);
  });

  it('throttles the next n calls, then stops', () => {
    const faults = new FaultInjector();
    faults.setThrottle(2, 'LimitExceededException');
    expect([faults.throttleCall(), faults.throttleCall(), faults.throttleCall()]).toEqual([
      'LimitExceededException',
      'LimitExceededException',
      undefined,
    ]);
    expect(faults.snapshot().throttle).toEqual({ mode: 'off' });
  });

  it('throttles every n-th call until switched off', () => {
    const faults = new FaultInjector();
    faults.setThrottle({ everyNth: 3 });
    const results = Array.from({ length: 6 }, () => faults.throttleCall());
    expect(results).toEqual([
      undefined,
      undefined,
      'ServiceUnavailableException',
      undefined,
      undefined,
      'ServiceUnavailableException',
    ]);
    faults.setThrottle(null);
    expect(faults.throttleCall()).toBeUndefined();
  });

  it('parses the HTTP switch body and rejects unknown fields', () => {
    expect(
      parseFaultUpdate({
        failureRate: 0.3,
        throttle: { everyNth: 4 },
        throttleErrorCode: 'LimitExceededException',
        seed: 3,
      }),
    ).toEqual({
      failureRate: 0.3,
      throttle: { everyNth: 4 },
      throttleErrorCode: 'LimitExceededException',
      seed: 3,
    });
    expect(() => parseFaultUpdate({ failurerate: 1 })).toThrow(/unknown field/);
    expect(() => parseFaultUpdate({ throttle: 'yes' })).toThrow(RangeError);
    expect(() => parseFaultUpdate([])).toThrow(RangeError);
  });
});
