/**
 * The MSK Connect port of the tasks, and finding a pipeline's MSK Connect resources by name
 * (after a conflict, or when the registry missed one).
 */
import { KafkaConnectClient, ListConnectorsCommand, ListCustomPluginsCommand } from '@aws-sdk/client-kafkaconnect';
import { clientPort } from '../../lib/aws.ts';
import { findInPages } from '../../lib/aws-pages.ts';
import type { TaskDeps } from './step.ts';

/** The ports of a task that calls MSK Connect. */
export type KafkaConnectDeps = TaskDeps & { kafkaConnect: Pick<KafkaConnectClient, 'send'> };

export const kafkaConnectPorts = clientPort('kafkaConnect', KafkaConnectClient);

/** The custom plugin name of a pipeline (unique per pipeline). */
export function pluginName(pipelineId: string): string {
  return `clickstream-${pipelineId}-s3-sink`;
}

type Client = Pick<KafkaConnectClient, 'send'>;

/** What the tasks look up by name in MSK Connect. */
export type ConnectResource = 'custom plugin' | 'connector';

interface NamedPage {
  named: Array<{ name: string | undefined; arn: string | undefined }>;
  nextToken: string | undefined;
}

/** One page of the List call of `what`, filtered by the name prefix. */
async function listNamed(client: Client, what: ConnectResource, name: string, nextToken?: string): Promise<NamedPage> {
  if (what === 'custom plugin') {
    const page = await client.send(new ListCustomPluginsCommand({ namePrefix: name, nextToken }));
    const named = (page.customPlugins ?? []).map((p) => ({ name: p.name, arn: p.customPluginArn }));
    return { named, nextToken: page.nextToken };
  }
  const page = await client.send(new ListConnectorsCommand({ connectorNamePrefix: name, nextToken }));
  return {
    named: (page.connectors ?? []).map((c) => ({ name: c.connectorName, arn: c.connectorArn })),
    nextToken: page.nextToken,
  };
}

/** The ARN of the custom plugin or connector named exactly `name`, through every page of its List call. */
export async function findArnByName(client: Client, what: ConnectResource, name: string): Promise<string | undefined> {
  const found = await findInPages(
    {
      fetch: (token) => listNamed(client, what, name, token),
      items: (page) => page.named,
      next: (page) => page.nextToken,
    },
    (item) => item.name === name,
  );
  return found?.arn;
}
