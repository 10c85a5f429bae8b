/**
 * The esbuild plugin of the Lambda bundles (esbuild-plugins.ts) rewrites @platformatic/kafka at
 * build time. These tests bundle the client with the esbuild options of serverless.yml, as
 * `serverless package` does, and check that the rewritten client still validates its options and
 * still produces to a real (dev) cluster, and that the modules a producer does not use are gone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import { parse } from 'yaml';
import { Admin as SourceAdmin, Producer as SourceProducer } from '@platformatic/kafka';
import plugins from '../../../esbuild-plugins.ts';
import { startCluster, type DevCluster } from '../../../local/kafka/index.ts';

type Bundled = { Producer: typeof SourceProducer };
type BundledAdmin = { Admin: typeof SourceAdmin };

/**
 * serverless.yml `custom.esbuild` minus the plugin's own options (serverless-esbuild strips those
 * too) and `splitting`: one output file here (lazy imports inlined); the chunked layout of the
 * real packages is tested on them (package-contents.test.ts).
 */
function slsBuildOptions(): esbuild.BuildOptions {
  const doc = parse(readFileSync(join(process.cwd(), 'serverless.yml'), 'utf8')) as {
    custom: { esbuild: Record<string, unknown> };
  };
  const {
    exclude: _e,
    packager: _p,
    outputFileExtension: _o,
    plugins: _pl,
    splitting: _s,
    ...options
  } = doc.custom.esbuild;
  return options as esbuild.BuildOptions;
}

async function bundle(dir: string, name: string, withPlugins: boolean, exported = 'Producer') {
  const outfile = join(dir, `${name}.mjs`);
  const result = await esbuild.build({
    ...slsBuildOptions(),
    stdin: { contents: `export { ${exported} } from '@platformatic/kafka';`, resolveDir: process.cwd(), loader: 'ts' },
    outfile,
    sourcemap: false,
    metafile: true,
    logLevel: 'silent',
    plugins: withPlugins ? plugins : [],
  });
  // Modules with code in the output (metafile.inputs also lists the ones tree-shaking dropped).
  const output = Object.values(result.metafile.outputs)[0]!;
  return { outfile, inputs: Object.entries(output.inputs).flatMap(([f, i]) => (i.bytesInOutput > 0 ? [f] : [])) };
}

const UNUSED_BY_A_PRODUCER = [
  '@platformatic/kafka/dist/clients/admin/options.js',
  '@platformatic/kafka/dist/clients/consumer/options.js',
  '@platformatic/kafka/dist/registries/confluent-schema-registry.js',
  // Protocol APIs of the admin and consumer (the base client no longer imports them all).
  '@platformatic/kafka/dist/apis/admin/create-topics-v7.js',
  '@platformatic/kafka/dist/apis/consumer/fetch-v9.js',
  // ajv: in a file beside the bundle, required by strict-mode validation only.
  'ajv/dist/2020.js',
  // mnemonist's barrel of every structure (the LRU cache is imported alone).
  'mnemonist/index.mjs',
];

describe('lean-platformatic-kafka (esbuild plugin of the Lambda bundles)', () => {
  let dir: string;
  let lean: { outfile: string; inputs: string[] };
  let Producer: Bundled['Producer'];
  let cluster: DevCluster | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lean-kafka-'));
    lean = await bundle(dir, 'lean', true);
    ({ Producer } = (await import(pathToFileURL(lean.outfile).href)) as Bundled);
  });

  afterAll(async () => {
    await cluster?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves out the admin, consumer and schema-registry modules a producer bundle does not use', async () => {
    const plain = await bundle(dir, 'plain', false);
    for (const module of UNUSED_BY_A_PRODUCER) {
      expect(plain.inputs.some((f) => f.endsWith(module))).toBe(true);
      expect(lean.inputs.some((f) => f.endsWith(module))).toBe(false);
    }
  });

  it('reads the crc32c/lz4/snappy wasm from a file beside the bundle instead of inlining it', () => {
    // "AGFzbQ" is the base64 of the wasm magic number: the inlined module of wasm-utils/bundled.
    expect(readFileSync(lean.outfile, 'utf8')).not.toContain('AGFzbQ');
    expect(readFileSync(join(dir, 'lean.native.wasm')).subarray(0, 4)).toEqual(Buffer.from('\0asm'));
    expect(readFileSync(join(dir, 'lean.ajv.cjs'), 'utf8')).toContain('addKeyword');
  });

  it('still rejects invalid options in strict mode, with the library message', () => {
    const bad = { clientId: 'lean', bootstrapBrokers: ['127.0.0.1:1'], strict: true, timeout: -5 };
    const expected = (() => {
      try {
        new SourceProducer(bad);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    })();
    expect(expected).toMatch(/timeout/);
    expect(() => new Producer(bad)).toThrow(expected);
    // A valid configuration passes the same (now compiled) validator.
    const ok = new Producer({ clientId: 'lean', bootstrapBrokers: ['127.0.0.1:1'], strict: true });
    return ok.close();
  });

  it('produces to a dev cluster (idempotent, acks=all) with send-option validation on', async () => {
    cluster = await startCluster({ brokers: 2, port: 0, autoCreateTopics: true });
    const producer = new Producer({
      clientId: 'lean-producer',
      bootstrapBrokers: cluster.brokers,
      idempotent: true,
      strict: true,
      autocreateTopics: true,
    });
    try {
      const result = await producer.send({
        messages: Array.from({ length: 20 }, (_, i) => ({
          topic: 'lean-bundle',
          key: Buffer.from(`k${i % 3}`),
          value: Buffer.from(JSON.stringify({ i })),
        })),
      });
      expect(result.offsets?.length).toBeGreaterThan(0);
      await expect(producer.send({ messages: 'not a list' as never })).rejects.toThrow(/messages/);
    } finally {
      await producer.close();
    }
  }, 30_000);
  it('keeps an admin bundle working: its APIs register with the base client (topics created, listed, deleted)', async () => {
    const built = await bundle(dir, 'lean-admin', true, 'Admin');
    const { Admin } = (await import(pathToFileURL(built.outfile).href)) as BundledAdmin;
    cluster ??= await startCluster({ brokers: 2, port: 0, autoCreateTopics: true });
    const admin = new Admin({ clientId: 'lean-admin', bootstrapBrokers: cluster.brokers, strict: true });
    try {
      await admin.createTopics({ topics: ['lean-admin'], partitions: 2, replicas: 2 });
      expect(await admin.listTopics()).toContain('lean-admin');
      const metadata = await admin.metadata({ topics: ['lean-admin'] });
      expect(metadata.topics.get('lean-admin')?.partitionsCount).toBe(2);
      await admin.deleteTopics({ topics: ['lean-admin'] });
      expect(await admin.listTopics()).not.toContain('lean-admin');
    } finally {
      await admin.close();
    }
  }, 30_000);
});
