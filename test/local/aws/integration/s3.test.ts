/**
 * The local S3 tree through the AWS SDK v3 S3 client and `aws s3` (CLI v1).
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { decodeAwsChunked } from '../../../../local/aws/s3/service.ts';
import { awsCli } from '../../helpers/aws-cli.ts';
import { useLocalAws } from '../../helpers/local-aws.ts';
import { readObjects } from '../unit/helpers.ts';

describe('local S3 over the data directory', () => {
  const local = useLocalAws();
  let s3: S3Client;

  beforeAll(() => {
    s3 = local.client(S3Client, { forcePathStyle: true });
  });

  it('writes, reads, heads, lists and deletes objects with the SDK', async () => {
    await s3.send(
      new PutObjectCommand({
        Bucket: 'dead-letters',
        Key: 'errors/sink/2026/a b+c.ndjson',
        Body: '{"x":1}\n',
        ContentType: 'application/x-ndjson',
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: 'dead-letters',
        Key: 'errors/sink/2026/b.ndjson',
        Body: Buffer.from('{"x":2}\n'),
      }),
    );
    expect(readObjects(local.aws.s3Dir, 'dead-letters').get('errors/sink/2026/a b+c.ndjson')).toBe('{"x":1}\n');

    const got = await s3.send(new GetObjectCommand({ Bucket: 'dead-letters', Key: 'errors/sink/2026/a b+c.ndjson' }));
    expect(await got.Body?.transformToString()).toBe('{"x":1}\n');
    expect(got.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'dead-letters', Key: 'errors/sink/2026/b.ndjson' }));
    expect(head.ContentLength).toBe(8);

    const listed = await s3.send(
      new ListObjectsV2Command({ Bucket: 'dead-letters', Prefix: 'errors/', Delimiter: '/' }),
    );
    expect(listed.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['errors/sink/']);
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'dead-letters', MaxKeys: 1 }));
    expect(all.Contents?.map((c) => c.Key)).toEqual(['errors/sink/2026/a b+c.ndjson']);
    expect(all.IsTruncated).toBe(true);
    const next = await s3.send(
      new ListObjectsV2Command({ Bucket: 'dead-letters', ContinuationToken: all.NextContinuationToken }),
    );
    expect(next.Contents?.map((c) => [c.Key, c.Size])).toEqual([['errors/sink/2026/b.ndjson', 8]]);

    await s3.send(new DeleteObjectCommand({ Bucket: 'dead-letters', Key: 'errors/sink/2026/b.ndjson' }));
    await expect(
      s3.send(new GetObjectCommand({ Bucket: 'dead-letters', Key: 'errors/sink/2026/b.ndjson' })),
    ).rejects.toBeInstanceOf(NoSuchKey);
    await s3.send(new CreateBucketCommand({ Bucket: 'empty-bucket' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets?.map((b) => b.Name)).toEqual([
      'dead-letters',
      'empty-bucket',
    ]);
    await expect(s3.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });

  it('serves aws s3 ls and aws s3 cp to stdout', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'cli-data', Key: 'events/app_id=a/x.json', Body: '{"a":1}\n' }));
    const [ls, cp] = await Promise.all([
      awsCli(local.aws.url, ['s3', 'ls', '--recursive', 's3://cli-data/']),
      awsCli(local.aws.url, ['s3', 'cp', 's3://cli-data/events/app_id=a/x.json', '-']),
    ]);
    expect([ls.code, cp.code]).toEqual([0, 0]);
    expect(ls.stdout).toMatch(/\s8 events\/app_id=a\/x\.json\n$/);
    expect(cp.stdout).toBe('{"a":1}\n');
  });

  it('decodes aws-chunked bodies', () => {
    const body = Buffer.from('5;chunk-signature=abc\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n');
    expect(decodeAwsChunked(body).toString()).toBe('hello world');
  });
});
