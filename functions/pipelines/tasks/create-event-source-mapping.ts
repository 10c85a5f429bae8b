/**
 * CreateEventSourceMapping: the `lambda` sink of a pipeline, a Kafka event source mapping on the
 * topic that invokes the sink function (request built by build-event-source-mapping.ts: batch
 * size = the pipeline's batch size, batching window = its maximum interval, one consumer group per
 * pipeline). ResourceConflictException (a mapping for this function and topic exists) → when it
 * is this pipeline's (same consumer group: an earlier attempt created it) it is reused; otherwise
 * the conflict is permanent.
 */
import { CreateEventSourceMappingCommand, type EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';
import { buildEventSourceMapping, type MappingAuth } from '../build-event-source-mapping.ts';
import type { Pipeline } from '../model.ts';
import { readRegion, readStackNetwork, requiredString, sinkSecurityGroups, type StackNetworkConfig } from './config.ts';
import type { CreateTopicOutput } from './create-topic.ts';
import { AwsRequestError, isAwsError, toTaskError } from './errors.ts';
import { listedBrokers } from './kafka-admin.ts';
import { taskLambda } from './lambda.ts';
import { findPipelineMapping, lambdaPorts, type LambdaDeps } from './mapping-lookups.ts';
import { pipelineStep, type PipelineInput } from './step.ts';

export const CREATE_MAPPING_STEP = 'CreateEventSourceMapping';

export interface MappingEnvironment {
  /** SINK_FUNCTION_NAME: the function the mappings invoke. */
  sinkFunctionName: string;
  region: string;
  network: StackNetworkConfig;
}

export function readMappingEnvironment(env: Record<string, string | undefined>): MappingEnvironment {
  return {
    sinkFunctionName: requiredString(env, 'SINK_FUNCTION_NAME'),
    region: readRegion(env),
    network: readStackNetwork(env),
  };
}

export interface CreateEventSourceMappingDeps extends LambdaDeps, MappingEnvironment {}

export interface CreateEventSourceMappingInput extends PipelineInput {
  topic: Pick<CreateTopicOutput, 'topic'>;
}

export interface CreateEventSourceMappingOutput {
  uuid: string;
  state: string;
  /** Polls done so far: the start of GetEventSourceMapping's bounded loop. */
  attempt: number;
}

export function mappingAuth(pipeline: Pipeline): MappingAuth {
  switch (pipeline.kafka.auth) {
    case 'iam':
      return { type: 'iam' };
    case 'scram':
      return { type: 'sasl-scram-512', secretArn: pipeline.kafka.scramSecretArn ?? '' };
    default:
      return { type: 'none' };
  }
}

async function ensureMapping(
  pipeline: Pipeline,
  input: CreateEventSourceMappingInput,
  deps: CreateEventSourceMappingDeps,
): Promise<CreateEventSourceMappingOutput> {
  const cluster = pipeline.kafka.cluster;
  const request = buildEventSourceMapping({
    pipelineId: pipeline.id,
    functionName: deps.sinkFunctionName,
    topic: input.topic.topic,
    sink: { batchSize: pipeline.sink.batchSize, maxIntervalSeconds: pipeline.sink.maxIntervalSeconds },
    source:
      cluster.type === 'msk'
        ? { kind: 'msk', clusterArn: cluster.clusterArn, auth: mappingAuth(pipeline) }
        : {
            kind: 'self-managed',
            bootstrapServers: listedBrokers(pipeline),
            subnetIds: deps.network.subnetIds,
            securityGroupIds: sinkSecurityGroups(pipeline, deps.network),
            auth: mappingAuth(pipeline),
          },
  });
  let mapping: EventSourceMappingConfiguration | undefined;
  try {
    mapping = await deps.lambda.send(new CreateEventSourceMappingCommand(request));
  } catch (error) {
    if (!isAwsError(error, 'ResourceConflictException'))
      throw toTaskError(error, `create the event source mapping of topic ${input.topic.topic}`);
    try {
      mapping = await findPipelineMapping(deps.lambda, deps.sinkFunctionName, pipeline.id);
    } catch (listError) {
      throw toTaskError(listError, "list the sink function's event source mappings");
    }
    if (!mapping) {
      throw new AwsRequestError(
        `the sink function already has an event source mapping on topic ${input.topic.topic} that belongs to another pipeline: ${(error as Error).message}`,
        'ResourceConflictException',
        { cause: error },
      );
    }
    deps.log?.info('event source mapping already exists; reusing it', {
      pipelineId: pipeline.id,
      uuid: mapping.UUID,
    });
  }
  if (!mapping.UUID)
    throw toTaskError(new Error('CreateEventSourceMapping answered without a UUID'), 'create the event source mapping');
  await deps.store.setResources(pipeline.id, { mappingUuid: mapping.UUID });
  return { uuid: mapping.UUID, state: mapping.State ?? 'Creating', attempt: 0 };
}

export async function createEventSourceMapping(
  input: CreateEventSourceMappingInput,
  deps: CreateEventSourceMappingDeps,
): Promise<CreateEventSourceMappingOutput> {
  return pipelineStep(
    deps,
    input,
    { name: CREATE_MAPPING_STEP, statuses: ['CREATING'], detail: (r) => `event source mapping ${r.uuid} (${r.state})` },
    (pipeline) => ensureMapping(pipeline, input, deps),
  );
}

export const handler = taskLambda(CREATE_MAPPING_STEP, createEventSourceMapping, () => ({
  ...lambdaPorts(),
  ...readMappingEnvironment(process.env),
}));
