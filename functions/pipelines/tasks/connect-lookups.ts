/** Finding a pipeline's MSK Connect resources by name (after a conflict, or when the registry missed one). */
import {
  ListConnectorsCommand,
  ListCustomPluginsCommand,
  type ConnectorSummary,
  type CustomPluginSummary,
  type KafkaConnectClient,
} from '@aws-sdk/client-kafkaconnect';

/** The custom plugin name of a pipeline (unique per pipeline). */
export function pluginName(pipelineId: string): string {
  return `clickstream-${pipelineId}-s3-sink`;
}

/** The plugin named `name`, through every page of ListCustomPlugins. */
export async function findPluginByName(
  client: Pick<KafkaConnectClient, 'send'>,
  name: string,
): Promise<CustomPluginSummary | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListCustomPluginsCommand({ namePrefix: name, ...(nextToken ? { nextToken } : {}) }),
    );
    const found = page.customPlugins?.find((p) => p.name === name);
    if (found) return found;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}

/** The connector named `name`, through every page of ListConnectors. */
export async function findConnectorByName(
  client: Pick<KafkaConnectClient, 'send'>,
  name: string,
): Promise<ConnectorSummary | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListConnectorsCommand({ connectorNamePrefix: name, ...(nextToken ? { nextToken } : {}) }),
    );
    const found = page.connectors?.find((c) => c.connectorName === name);
    if (found) return found;
    nextToken = page.nextToken;
  } while (nextToken);
  return undefined;
}
