/**
 * The create workflow's waits on a resource it created (DescribePlugin, DescribeConnector,
 * GetEventSourceMapping): one describe call per round; ready → the Choice moves on; pending →
 * wait and poll again (bounded); any other state, or gone → ResourceFailedError with the
 * service's explanation.
 */
import { isNotFound, ResourceFailedError, toTaskError } from './errors.ts';
import { nextAttempt, pollStep, type PollInput, type PollState } from './poll.ts';
import type { TaskDeps } from './step.ts';

/** What one describe call saw. */
export interface Observed<F> {
  /** The state as the service reports it. */
  reported: string;
  /** The state the Choice reads, when it is not `reported` (e.g. Enabled with a problem). */
  state?: string;
  /** How the wait-timeout message shows the last state, when not `reported`. */
  shown?: string;
  /** Why the resource is in a failed state (appended to "… is STATE"), or ''. */
  why: string;
  /** The task output's own fields. */
  fields: F;
}

/** A kind of resource the workflow waits on, and its lifecycle as its service reports it. */
export interface ResourceKind {
  /** The wait task's step (its ASL state's name). */
  step: string;
  /** What the resource is, as the messages say it ("custom plugin"). */
  kind: string;
  /** The verb of the describe call in messages ("describe", "get"). */
  verb: string;
  /** The state that ends the wait. */
  ready: string;
  /** States that mean "wait and poll again"; any other is a failure. */
  pending: readonly string[];
  /** What to check when the resource failed, appended to the message. */
  hint?: string;
  /** The task input's field with the loop state: the create step's output, then the previous poll's. */
  loop: string;
  /** The field of the loop state with the resource's ARN or UUID. */
  idField: string;
}

/** The three waits of the create workflow. */
export const WAITED_ON = {
  plugin: {
    step: 'DescribePlugin',
    kind: 'custom plugin',
    verb: 'describe',
    ready: 'ACTIVE',
    pending: ['CREATING', 'UPDATING'],
    hint: 'check that the plugin ZIP in S3 is a valid connector archive',
    loop: 'plugin',
    idField: 'pluginArn',
  },
  connector: {
    step: 'DescribeConnector',
    kind: 'connector',
    verb: 'describe',
    ready: 'RUNNING',
    pending: ['CREATING', 'UPDATING'],
    hint: "the workers' logs are in the connector log group",
    loop: 'connector',
    idField: 'connectorArn',
  },
  mapping: {
    step: 'GetEventSourceMapping',
    kind: 'event source mapping',
    verb: 'get',
    ready: 'Enabled',
    pending: ['Creating', 'Enabling', 'Updating'],
    loop: 'mapping',
    idField: 'uuid',
  },
} as const satisfies Record<string, ResourceKind>;

export interface ResourceWait<F> extends ResourceKind {
  /** Its ARN or UUID (from the previous state's output). */
  id: string | undefined;
  describe: () => Promise<Observed<F>>;
}

export type PolledResource<F> = F & { state: string; attempt: number; since: string };

/** One round of a wait on a resource, recorded as the step `wait.step`. */
export async function pollResource<F extends object>(
  deps: TaskDeps,
  input: PollInput,
  loop: PollState | undefined,
  wait: ResourceWait<F>,
): Promise<PolledResource<F>> {
  return pollStep(
    deps,
    input,
    loop,
    {
      name: wait.step,
      statuses: ['CREATING'],
      running: (r) => r.state !== wait.ready,
      detail: (r) => `${wait.kind} ${r.state} (check ${r.attempt})`,
    },
    async (_pipeline, since) => {
      const resource = `${wait.kind} ${wait.id}`;
      let seen: Observed<F>;
      try {
        seen = await wait.describe();
      } catch (error) {
        if (isNotFound(error))
          throw new ResourceFailedError(`${resource} does not exist (deleted while the pipeline was being created?)`);
        throw toTaskError(error, `${wait.verb} ${resource}`);
      }
      if (seen.reported !== wait.ready && !wait.pending.includes(seen.reported))
        throw new ResourceFailedError(
          `${resource} is ${seen.reported}${seen.why}${wait.hint !== undefined ? `; ${wait.hint}` : ''}`,
        );
      const state = seen.state ?? seen.reported;
      const attempt = nextAttempt(loop, input.maxAttempts, state === wait.ready, resource, seen.shown ?? state);
      return { ...seen.fields, state, attempt, since };
    },
  );
}

/** MSK Connect's explanation of a failed state (`stateDescription`), as ": CODE message" or ''. */
export function stateWhy(description: { code?: string; message?: string } | undefined): string {
  return description?.message ? `: ${[description.code, description.message].filter(Boolean).join(' ')}` : '';
}

/** A wait task's input: the loop state, with the resource's id, in the field `kind.loop`. */
export type WaitInput<K extends ResourceKind> = PollInput &
  Record<K['loop'], (PollState & Record<K['idField'], string>) | undefined>;

/**
 * The core of a wait task on one kind of resource; `describe(id, deps)` makes the one describe
 * call of a round.
 */
export function resourceWait<W extends keyof typeof WAITED_ON, D extends TaskDeps, F extends object>(
  wait: W,
  describe: (id: string | undefined, deps: D) => Promise<Observed<F>>,
): (input: WaitInput<(typeof WAITED_ON)[W]>, deps: D) => Promise<PolledResource<F>> {
  const kind: ResourceKind = WAITED_ON[wait];
  return (input, deps) => {
    const state = (input as Record<string, (PollState & Record<string, string>) | undefined>)[kind.loop];
    const id = state?.[kind.idField];
    return pollResource(deps, input, state, { ...kind, id, describe: () => describe(id, deps) });
  };
}
