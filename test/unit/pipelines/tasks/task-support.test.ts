import { ConfigError } from '../../../../functions/lib/errors.ts';
import { MemoryPipelineStore } from '../../../helpers/memory-store.ts';
import { readStackNetwork, partitionOf } from '../../../../functions/pipelines/tasks/config.ts';
import {
  AwsRequestError,
  ClusterValidationError,
  summarizeFailure,
  toTaskError,
  TransientError,
  WaitTimeoutError,
} from '../../../../functions/pipelines/tasks/errors.ts';
import { failureReason } from '../../../../functions/pipelines/tasks/mark-failed.ts';
import { nextAttempt } from '../../../../functions/pipelines/tasks/poll.ts';
import { guardStore, runStep } from '../../../../functions/pipelines/tasks/step.ts';
import { pipelineFixture, sdkError } from '../../../workflow/harness.ts';

describe('workflow task errors', () => {
  it('toTaskError names the action and keeps the service error; workflow errors pass through', () => {
    const transient = toTaskError(sdkError('TooManyRequestsException', 429, 'Rate exceeded'), 'create custom plugin x');
    expect(transient).toBeInstanceOf(TransientError);
    expect(transient.message).toBe(
      'could not create custom plugin x (TooManyRequestsException: Rate exceeded); will retry',
    );
    const permanent = toTaskError(
      sdkError('BadRequestException', 400, 'Invalid bucket'),
      'create custom plugin x',
    ) as AwsRequestError;
    expect([permanent.name, permanent.serviceError, permanent.message]).toEqual([
      'AwsRequestError',
      'BadRequestException',
      'could not create custom plugin x: BadRequestException: Invalid bucket',
    ]);
    const own = new WaitTimeoutError('late');
    expect(toTaskError(own, 'x')).toBe(own);
  });

  it('every error class has its name set explicitly (what Step Functions matches)', () => {
    expect(new ClusterValidationError('c', ['a']).name).toBe('ClusterValidationError');
    expect(new TransientError('t').name).toBe('TransientError');
  });

  it('summarizeFailure reads the Lambda runtime JSON Cause, a plain Cause, and recovers the violations', () => {
    const error = new ClusterValidationError('MSK cluster x', ['first rule', 'second: rule']);
    const fromLambda = summarizeFailure({
      Error: 'ClusterValidationError',
      Cause: JSON.stringify({
        errorType: 'ClusterValidationError',
        errorMessage: error.message,
        trace: ['at x'],
      }),
    });
    expect(fromLambda).toEqual({
      error: 'ClusterValidationError',
      message: 'MSK cluster x does not meet 2 requirements:\n- first rule\n- second: rule',
      violations: ['first rule', 'second: rule'],
    });
    expect(summarizeFailure({ Error: 'ClusterValidationError', Cause: error.message })).toEqual(fromLambda);
    expect(summarizeFailure({ Error: 'States.Timeout' })).toEqual({
      error: 'States.Timeout',
      message: 'States.Timeout',
      violations: undefined,
    });
    expect(summarizeFailure({ Error: 'X', Cause: '{not json' }).message).toBe('{not json');
  });

  it('failureReason says what rollback removed or left, and how to retry a teardown', () => {
    expect(
      failureReason(
        { pipelineId: 'p', error: { Error: 'AwsRequestError', Cause: 'could not create connector' } },
        'create',
      ).reason,
    ).toBe('could not create connector\nEverything this pipeline had created was removed.');
    expect(
      failureReason(
        {
          pipelineId: 'p',
          error: { Error: 'E', Cause: 'boom' },
          topicCleanupError: { Error: 'KafkaUnavailableError', Cause: 'denied' },
        },
        'create',
      ).reason,
    ).toBe(
      'boom\nRollback could not remove: topic (denied). Remove these by hand, or delete the pipeline to try again.',
    );
    expect(failureReason({ pipelineId: 'p', error: { Error: 'E', Cause: 'boom' } }, 'delete').reason).toBe(
      'deleting the pipeline failed: boom\nDELETE the pipeline again to retry the teardown.',
    );
  });
});

describe('poll bound', () => {
  it('counts polls and throws WaitTimeoutError when not ready at maxAttempts', () => {
    expect(nextAttempt(undefined, 3, false, 'x', 'CREATING')).toBe(1);
    expect(nextAttempt({ attempt: 1 }, 3, false, 'x', 'CREATING')).toBe(2);
    expect(() => nextAttempt({ attempt: 2 }, 3, false, 'custom plugin p', 'CREATING')).toThrow(
      new WaitTimeoutError(
        'custom plugin p was still CREATING after 3 checks; see its state in the AWS console, then delete the pipeline and create it again',
      ),
    );
    expect(nextAttempt({ attempt: 2 }, 3, true, 'x', 'ACTIVE')).toBe(3);
    expect(nextAttempt({ attempt: null }, undefined, false, 'x', 'CREATING')).toBe(1);
  });
});

describe('registry use by the tasks', () => {
  it('guardStore turns a throttled registry call into a TransientError and passes named registry errors through', async () => {
    const memory = new MemoryPipelineStore();
    const flaky = Object.assign(Object.create(memory) as MemoryPipelineStore, {
      get: async () => {
        throw sdkError('ProvisionedThroughputExceededException', 400);
      },
    });
    await expect(guardStore(flaky).get('x')).rejects.toThrow(TransientError);
    await expect(guardStore(memory).transition('missing', 'ACTIVE')).rejects.toMatchObject({
      name: 'PipelineNotFoundError',
    });
  });

  it('runStep records RUNNING then SUCCEEDED with the detail, or FAILED with the error', async () => {
    const store = new MemoryPipelineStore();
    const p = (await store.create(pipelineFixture())).pipeline;
    let t = Date.parse('2026-01-01T00:00:00Z');
    const deps = { store, now: () => new Date((t += 1000)) };
    await runStep(deps, (await store.get(p.id))!, 'A', async () => 42, { detail: (n) => `got ${n}` });
    await expect(
      runStep(deps, (await store.get(p.id))!, 'B', async () => {
        throw new TransientError('later');
      }),
    ).rejects.toThrow('later');
    expect((await store.get(p.id))!.steps).toEqual([
      {
        name: 'A',
        status: 'SUCCEEDED',
        startedAt: '2026-01-01T00:00:01.000Z',
        endedAt: '2026-01-01T00:00:02.000Z',
        detail: 'got 42',
        seq: 1,
      },
      {
        name: 'B',
        status: 'FAILED',
        startedAt: '2026-01-01T00:00:03.000Z',
        endedAt: '2026-01-01T00:00:04.000Z',
        detail: 'TransientError: later',
        seq: 2,
      },
    ]);
  });

  it('runStep keeps the order steps ran in when they start in the same millisecond, and a poll keeps its place', async () => {
    const store = new MemoryPipelineStore();
    const p = (await store.create(pipelineFixture())).pipeline;
    const deps = { store, now: () => new Date('2026-01-01T00:00:00Z') };
    await runStep(deps, (await store.get(p.id))!, 'Zeta', async () => 1, { running: () => true });
    await runStep(deps, (await store.get(p.id))!, 'Alpha', async () => 2);
    await runStep(deps, (await store.get(p.id))!, 'Mid', async () => 3);
    // A later poll of Zeta continues the step: it keeps its first place.
    await runStep(deps, (await store.get(p.id))!, 'Zeta', async () => 4, {
      startedAt: '2026-01-01T00:00:00.000Z',
      continues: true,
    });
    expect((await store.get(p.id))!.steps.map((s) => [s.name, s.seq])).toEqual([
      ['Zeta', 1],
      ['Alpha', 2],
      ['Mid', 3],
    ]);
    // Started again (a new run of the step): it moves after the others.
    await runStep(deps, (await store.get(p.id))!, 'Alpha', async () => 5);
    expect((await store.get(p.id))!.steps.map((s) => s.name)).toEqual(['Zeta', 'Mid', 'Alpha']);
  });
});

describe('task configuration', () => {
  it('reads the stack network and names the variable at fault', () => {
    expect(
      readStackNetwork({
        VPC_ID: 'vpc-0123456789abcdef0',
        SUBNET_IDS: 'subnet-0123456789abcdef0, subnet-0fedcba9876543210',
        SECURITY_GROUP_ID: 'sg-0123456789abcdef0',
      }),
    ).toEqual({
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      securityGroupId: 'sg-0123456789abcdef0',
    });
    expect(() =>
      readStackNetwork({ SUBNET_IDS: 'subnet-0123456789abcdef0', SECURITY_GROUP_ID: 'sg-0123456789abcdef0' }),
    ).toThrow(new ConfigError('VPC_ID is required but not set'));
    expect(() =>
      readStackNetwork({
        VPC_ID: 'vpc-0123456789abcdef0',
        SUBNET_IDS: 'nope',
        SECURITY_GROUP_ID: 'sg-0123456789abcdef0',
      }),
    ).toThrow(/SUBNET_IDS contains 'nope'/);
  });

  it("builds ARNs in the region's partition", () => {
    expect([partitionOf('eu-west-1'), partitionOf('cn-north-1'), partitionOf('us-gov-west-1')]).toEqual([
      'aws',
      'aws-cn',
      'aws-us-gov',
    ]);
  });
});
