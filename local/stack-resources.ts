/**
 * What CloudFormation creates in a deployment, created on the local endpoint instead, from the
 * same files: the Firehose stream (resources/firehose.yml), the pipelines table
 * (resources/pipelines-table.yml) and the state machines (serverless.yml `stepFunctions`, the
 * ASL files with their task functions' ARNs). Idempotent, so a restart over kept state is fine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-firehose';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStateMachineCommand,
  SFNClient,
  StateMachineAlreadyExists,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { resolveString, type ServiceConfig } from './serverless-config.ts';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

/** Replaces `Ref`/`Fn::GetAtt` objects with the local value `refs` gives for their target. */
export function localize(value: unknown, refs: (target: string) => unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => localize(v, refs));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Fn::GetAtt' || first[0] === 'Ref')) {
      return refs(Array.isArray(first[1]) ? (first[1] as string[]).join('.') : String(first[1]));
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const localized = localize(v, refs);
      if (localized !== undefined) out[k] = localized;
    }
    return out;
  }
  return value;
}

async function yamlFile(root: string, relative: string, config: ServiceConfig): Promise<Record<string, unknown>> {
  const doc = parse(await readFile(join(root, relative), 'utf8')) as Record<string, unknown>;
  return JSON.parse(JSON.stringify(doc), (_k, v: unknown) =>
    typeof v === 'string' ? resolveString(v, config) : v,
  ) as Record<string, unknown>;
}

/** serverless's logical id of a function's Lambda resource: `validateCluster` → `ValidateClusterLambdaFunction`. */
function lambdaLogicalId(name: string): string {
  const normalized = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

export function localFunctionArn(functionName: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;
}

export function localStateMachineArn(name: string): string {
  return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
}

export async function ensureFirehoseStream(
  root: string,
  config: ServiceConfig,
  bucket: string,
  streamName: string,
  say: (line: string) => void,
): Promise<void> {
  const firehose = new FirehoseClient({});
  try {
    await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: streamName }));
    return;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  } finally {
    firehose.destroy();
  }
  const doc = (await yamlFile(root, 'resources/firehose.yml', config)) as {
    DeliveryStream: { Properties: Record<string, unknown> };
  };
  const dest = localize(doc.DeliveryStream.Properties.ExtendedS3DestinationConfiguration, (target) =>
    target === 'DataBucket.Arn'
      ? `arn:aws:s3:::${bucket}`
      : target === 'FirehoseRole.Arn'
        ? `arn:aws:iam::${LOCAL_ACCOUNT}:role/firehose-local`
        : undefined,
  ) as Record<string, unknown>;
  delete dest.CloudWatchLoggingOptions;
  const hints = dest.BufferingHints as { IntervalInSeconds: unknown; SizeInMBs: unknown };
  dest.BufferingHints = {
    IntervalInSeconds: Number(hints.IntervalInSeconds),
    SizeInMBs: Number(hints.SizeInMBs),
  };
  const client = new FirehoseClient({});
  try {
    await client.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: streamName,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: dest as never,
      }),
    );
  } finally {
    client.destroy();
  }
  say(`created Firehose stream ${streamName}`);
}

export async function ensurePipelinesTable(
  root: string,
  config: ServiceConfig,
  tableName: string,
  say: (line: string) => void,
): Promise<void> {
  const doc = (await yamlFile(root, 'resources/pipelines-table.yml', config)) as {
    Properties: Omit<CreateTableCommandInput, 'TableName'>;
  };
  const p = doc.Properties;
  const client = new DynamoDBClient({});
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: p.BillingMode,
        AttributeDefinitions: p.AttributeDefinitions,
        KeySchema: p.KeySchema,
        ...(p.GlobalSecondaryIndexes ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes } : {}),
      }),
    );
    say(`created DynamoDB table ${tableName}`);
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  } finally {
    client.destroy();
  }
}

/** A state machine of serverless.yml with its ASL read once (`${file(...)}` loaded and resolved). */
export interface StateMachineDefinition {
  key: string;
  name: string;
  asl: Record<string, unknown>;
}

/**
 * Reads every state machine's ASL once, so start-up parses each file a single time for all who
 * need it (the Wait seconds below, the machines created in Step Functions).
 */
export async function readStateMachines(root: string, config: ServiceConfig): Promise<StateMachineDefinition[]> {
  return Promise.all(
    Object.entries(config.stateMachines).map(async ([key, machine]) => {
      const file =
        typeof machine.definition === 'string' ? /\$\{file\(([^)]+)\)\}/.exec(machine.definition)?.[1] : undefined;
      return {
        key,
        name: resolveString(machine.name ?? `${config.service}-${config.stage}-${key}`, config),
        asl: file ? await yamlFile(root, file, config) : (machine.definition as Record<string, unknown>),
      };
    }),
  );
}

/**
 * Seconds of the Wait state `stateName` in serverless.yml's state machines (the first found), so
 * the local stack can scale what must stay shorter than it (the ingest's route cache vs the
 * teardown's WaitForIngestRoutes) with the same factor it scales Waits by.
 */
export function waitStateSeconds(machines: readonly StateMachineDefinition[], stateName: string): number | undefined {
  for (const { asl } of machines) {
    const state = (asl.States as Record<string, { Type?: string; Seconds?: unknown }> | undefined)?.[stateName];
    if (state?.Type === 'Wait' && typeof state.Seconds === 'number') return state.Seconds;
  }
  return undefined;
}

/** Creates (or updates) every state machine of serverless.yml; returns name → ARN by key. */
export async function ensureStateMachines(
  config: ServiceConfig,
  machines: readonly StateMachineDefinition[],
  say: (line: string) => void,
): Promise<Record<string, string>> {
  const byLogicalId = new Map(config.functions.map((f) => [lambdaLogicalId(f.name), f.functionName]));
  const arns: Record<string, string> = {};
  const sfn = new SFNClient({});
  try {
    for (const { key, name, asl } of machines) {
      const definition = JSON.stringify(
        localize(asl, (target) => {
          const [logicalId, attribute] = target.split('.');
          const fn = byLogicalId.get(logicalId ?? '');
          if (!fn || (attribute !== undefined && attribute !== 'Arn'))
            throw new Error(`state machine ${key}: cannot resolve ${target} locally`);
          return localFunctionArn(fn);
        }),
      );
      const roleArn = `arn:aws:iam::${LOCAL_ACCOUNT}:role/states-local`;
      try {
        const created = await sfn.send(new CreateStateMachineCommand({ name, definition, roleArn }));
        arns[key] = created.stateMachineArn!;
      } catch (err) {
        if (!(err instanceof StateMachineAlreadyExists)) throw err;
        arns[key] = localStateMachineArn(name);
        await sfn.send(new UpdateStateMachineCommand({ stateMachineArn: arns[key], definition, roleArn }));
      }
    }
  } finally {
    sfn.destroy();
  }
  say(`state machines: ${Object.keys(arns).join(', ')}`);
  return arns;
}
