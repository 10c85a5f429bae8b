/**
 * The setup every suite of the local AWS endpoint shares: the endpoint on a free port over a fresh
 * temp directory, started before the suite's tests and stopped after them, with the SDK clients the
 * suite made of it. One place, so the suites say only what differs (options, clients).
 */
import { startLocalAws, type LocalAws, type LocalAwsOptions } from '../../../local/aws/index.ts';
import { localClientConfig, tempDir } from '../aws/unit/helpers.ts';

type EndpointOptions = Omit<LocalAwsOptions, 'port' | 'dataDir'>;

interface Destroyable {
  destroy(): void;
}

export interface LocalAwsFixture {
  /** The running endpoint (from the fixture's beforeAll on). */
  readonly aws: LocalAws;
  /** The endpoint's data directory (the local S3 tree is below it). */
  readonly dataDir: string;
  /** An SDK v3 client of the endpoint (one attempt: tests see every error), destroyed after the suite. */
  client<C extends Destroyable>(Client: new (config: ReturnType<typeof localClientConfig>) => C, extra?: object): C;
  /** Stops the endpoint and starts it again over the same directory (persistence tests), on a new port. */
  restart(): Promise<LocalAws>;
}

/**
 * Registers the suite's beforeAll/afterAll for a local endpoint. `options` may be a function: it
 * is called when the endpoint starts, after the suite's earlier beforeAll hooks (a dev cluster
 * started there can be named in it).
 */
export function useLocalAws(
  options: EndpointOptions | (() => EndpointOptions) = {},
  dirPrefix?: string,
): LocalAwsFixture {
  let dir: ReturnType<typeof tempDir> | undefined;
  let aws: LocalAws | undefined;
  const clients: Destroyable[] = [];
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the local AWS endpoint is started in beforeAll');
    return value;
  };
  let extra: EndpointOptions = {};
  const start = async (): Promise<LocalAws> => {
    aws = await startLocalAws({ port: 0, dataDir: started(dir).path, ...extra });
    return aws;
  };
  beforeAll(async () => {
    dir = tempDir(dirPrefix);
    extra = typeof options === 'function' ? options() : options;
    await start();
  });
  afterAll(async () => {
    for (const client of clients.splice(0)) client.destroy();
    await aws?.close();
    dir?.remove();
  });
  return {
    get aws() {
      return started(aws);
    },
    get dataDir() {
      return started(dir).path;
    },
    client(Client, extra) {
      const client = new Client(localClientConfig(started(aws).url, extra));
      clients.push(client);
      return client;
    },
    async restart() {
      await started(aws).close();
      return start();
    },
  };
}
