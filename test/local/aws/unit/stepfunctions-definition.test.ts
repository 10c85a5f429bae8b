/**
 * How the local Step Functions prepares a definition for aws-local-stepfunctions: task handlers,
 * Step Functions' task timeout, and the wait scale applied to Wait states and Retry intervals.
 */
import {
  LOCAL_WAIT_RESOURCE,
  prepareDefinition,
  readPath,
  waitDurationMs,
} from '../../../../local/aws/stepfunctions/definition.ts';

const definition = {
  StartAt: 'Create',
  States: {
    Create: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Retry: [
        { ErrorEquals: ['TransientError'], IntervalSeconds: 4, MaxDelaySeconds: 30, BackoffRate: 2 },
        { ErrorEquals: ['Other'] },
      ],
      Next: 'Poll',
    },
    Poll: { Type: 'Wait', SecondsPath: '$.wait', Next: 'Fan' },
    Fan: {
      Type: 'Parallel',
      Branches: [
        {
          StartAt: 'Inner',
          States: {
            Inner: {
              Type: 'Task',
              Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
              TimeoutSeconds: 5,
              End: true,
            },
          },
        },
      ],
      End: true,
    },
  },
};

describe('local Step Functions definitions', () => {
  it('registers every task (nested ones too) and gives untimed tasks an unbounded timeout, leaving the original untouched', () => {
    const prepared = prepareDefinition(definition, 1);
    expect([...prepared.tasks.keys()]).toEqual(['Create', 'Inner']);
    expect(prepared.waits.size).toBe(0);
    const states = prepared.definition.States as Record<string, any>;
    expect(states.Create.TimeoutSeconds).toBe(2_000_000);
    expect(states.Fan.Branches[0].States.Inner.TimeoutSeconds).toBe(5);
    expect(states.Poll).toEqual(definition.States.Poll);
    expect(states.Create.Retry[0].IntervalSeconds).toBe(4);
    expect((definition.States.Create as Record<string, unknown>).TimeoutSeconds).toBeUndefined();
    expect(prepared.types.get('Poll')).toBe('Wait');
  });

  it('with a wait scale, turns Wait states into local waits and scales Retry intervals and delays', () => {
    const prepared = prepareDefinition(definition, 0.01);
    const states = prepared.definition.States as Record<string, any>;
    expect(states.Poll).toEqual({
      Type: 'Task',
      Resource: LOCAL_WAIT_RESOURCE,
      TimeoutSeconds: 2_000_000,
      Next: 'Fan',
    });
    expect(prepared.waits.get('Poll')?.original).toEqual(definition.States.Poll);
    expect(prepared.types.get('Poll')).toBe('Wait');
    expect(states.Create.Retry[0]).toMatchObject({ IntervalSeconds: 0.04, MaxDelaySeconds: 0.3 });
    // An absent IntervalSeconds is Step Functions' default of 1 s, scaled.
    expect(states.Create.Retry[1].IntervalSeconds).toBe(0.01);
  });

  it('computes wait durations from Seconds, SecondsPath, Timestamp and TimestampPath', () => {
    const now = Date.UTC(2026, 0, 1, 0, 0, 0);
    expect(waitDurationMs({ Seconds: 3 }, {}, now)).toBe(3000);
    expect(waitDurationMs({ SecondsPath: '$.poll.seconds' }, { poll: { seconds: 7 } }, now)).toBe(7000);
    expect(waitDurationMs({ Timestamp: '2026-01-01T00:00:10Z' }, {}, now)).toBe(10_000);
    expect(waitDurationMs({ TimestampPath: "$['at']" }, { at: '2025-12-31T00:00:00Z' }, now)).toBe(0);
    expect(() => waitDurationMs({ SecondsPath: '$.missing' }, {}, now)).toThrow('SecondsPath');
    expect(readPath('$.items[1].name', { items: [{ name: 'a' }, { name: 'b' }] })).toBe('b');
  });
});
