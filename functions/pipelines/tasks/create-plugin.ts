/**
 * CreatePlugin: the MSK Connect custom plugin of a connector pipeline.
 *
 * - `sink.connector.pluginArn` given: that plugin is used as it is (never deleted by this pipeline).
 * - `sink.connector.pluginLocation` given: a plugin named after the pipeline is created from the
 *   ZIP. ConflictException (the name exists: an earlier attempt of this same task created it and
 *   did not live to return) → the existing plugin is looked up by name and reused; it is still
 *   this pipeline's, so rollback and teardown delete it.
 *
 * Returns the plugin ARN; DescribePlugin then polls until it is ACTIVE.
 */
import { CreateCustomPluginCommand } from '@aws-sdk/client-kafkaconnect';
import type { Pipeline } from '../model.ts';
import { findArnByName, pluginName, kafkaConnectPorts, type KafkaConnectDeps } from './connect-lookups.ts';
import { InvalidPipelineError, isAwsError, toTaskError } from './errors.ts';
import { taskLambda } from './lambda.ts';
import { pipelineStep, type PipelineInput } from './step.ts';

export const CREATE_PLUGIN_STEP = 'CreatePlugin';

export type CreatePluginInput = PipelineInput;

export interface CreatePluginOutput {
  pluginArn: string;
  /** True when this pipeline created (or re-found its own) plugin. */
  pluginCreated: boolean;
  /** Polls done so far: the start of DescribePlugin's bounded loop. */
  attempt: number;
}

async function ensurePlugin(pipeline: Pipeline, deps: KafkaConnectDeps): Promise<CreatePluginOutput> {
  const connector = pipeline.sink.connector;
  if (connector?.pluginArn) {
    await deps.store.setResources(pipeline.id, { pluginArn: connector.pluginArn, pluginCreated: false });
    return { pluginArn: connector.pluginArn, pluginCreated: false, attempt: 0 };
  }
  const location = connector?.pluginLocation;
  if (!location) {
    throw new InvalidPipelineError(
      'sink.connector needs pluginArn (an existing custom plugin) or pluginLocation (the S3 location of the S3 sink connector ZIP)',
    );
  }
  const name = pluginName(pipeline.id);
  let pluginArn: string | undefined;
  try {
    const out = await deps.kafkaConnect.send(
      new CreateCustomPluginCommand({
        name,
        contentType: 'ZIP',
        description: `Confluent S3 sink connector for clickstream pipeline ${pipeline.id}`,
        location: {
          s3Location: {
            bucketArn: location.bucketArn,
            fileKey: location.fileKey,
            ...(location.objectVersion !== undefined ? { objectVersion: location.objectVersion } : {}),
          },
        },
      }),
    );
    pluginArn = out.customPluginArn;
  } catch (error) {
    if (!isAwsError(error, 'ConflictException')) throw toTaskError(error, `create custom plugin ${name}`);
    try {
      pluginArn = await findArnByName(deps.kafkaConnect, 'custom plugin', name);
    } catch (listError) {
      throw toTaskError(listError, `find the existing custom plugin ${name}`);
    }
    if (pluginArn === undefined)
      throw toTaskError(error, `create custom plugin ${name} (a conflicting plugin exists but was not found by name)`);
    deps.log?.info('custom plugin already exists; reusing it', { pipelineId: pipeline.id, pluginArn });
  }
  if (!pluginArn)
    throw toTaskError(
      new Error('CreateCustomPlugin answered without a customPluginArn'),
      `create custom plugin ${name}`,
    );
  await deps.store.setResources(pipeline.id, { pluginArn, pluginCreated: true });
  return { pluginArn, pluginCreated: true, attempt: 0 };
}

export async function createPlugin(input: CreatePluginInput, deps: KafkaConnectDeps): Promise<CreatePluginOutput> {
  return pipelineStep(
    deps,
    input,
    {
      name: CREATE_PLUGIN_STEP,
      statuses: ['CREATING'],
      detail: (r) => `${r.pluginCreated ? 'custom plugin' : 'existing custom plugin'} ${r.pluginArn}`,
    },
    (pipeline) => ensurePlugin(pipeline, deps),
  );
}

export const handler = taskLambda(CREATE_PLUGIN_STEP, createPlugin, kafkaConnectPorts);
