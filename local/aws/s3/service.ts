/**
 * Amazon S3 over the local S3 tree (REST-XML), for what the project and its users do with it:
 * the sink's dead letters (PutObject), reading delivered objects back (GetObject, HeadObject,
 * ListObjectsV2/ListObjects, ListBuckets: `aws s3 ls`, `aws s3 cp s3://... -`), and a little
 * housekeeping (CreateBucket, HeadBucket, DeleteObject, DeleteBucket).
 *
 * Buckets are the directories of `<dataDir>/s3`; PutObject creates its bucket's directory (a
 * bucket exists locally as soon as something is written to it). Path-style addressing
 * (`/bucket/key`, what the SDK and the CLI use for an IP endpoint) and `<bucket>.localhost` hosts
 * are understood. No multipart uploads, versions, ACLs or object metadata.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AwsError } from '../errors.ts';
import { escapeXml, type AwsRequest, type AwsResponse, type ServiceModule } from '../server.ts';
import { BUCKET_NAME, listObjects, objectPath, writeObject, type ListedObject } from './tree.ts';

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

const xml = (body: string, status = 200): AwsResponse => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}`,
});

const tag = (name: string, value: string | number | boolean): string =>
  `<${name}>${escapeXml(String(value))}</${name}>`;

/** Decodes an `aws-chunked` body (`<hex size>[;chunk-signature=..]\r\n<data>\r\n ... 0\r\n<trailers>`). */
export function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = body.indexOf('\r\n', offset);
    if (lineEnd < 0) throw new AwsError('IncompleteBody', 'The aws-chunked body ended early', 400);
    const size = parseInt(body.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw new AwsError('InvalidRequest', 'Malformed aws-chunked body', 400);
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

function md5(bytes: Buffer): string {
  return `"${createHash('md5').update(bytes).digest('hex')}"`;
}

export class S3Service implements ServiceModule {
  readonly service = 's3';
  readonly protocol = 'rest-xml' as const;
  private readonly root: string;

  constructor(options: { s3Root: string }) {
    this.root = options.s3Root;
    mkdirSync(this.root, { recursive: true });
  }

  /** Bucket and key of a request: path style, or a `<bucket>.localhost` host. */
  private address(request: AwsRequest): { bucket: string | undefined; key: string | undefined } {
    const host = String(request.headers.host ?? '').replace(/:\d+$/, '');
    const segments = request.path.split('/').slice(1);
    if (host.endsWith('.localhost')) {
      const key = segments.map(decodeURIComponent).join('/');
      return { bucket: host.slice(0, -'.localhost'.length), key: key === '' ? undefined : key };
    }
    const [first = '', ...rest] = segments;
    const key = rest.map(decodeURIComponent).join('/');
    return {
      bucket: first === '' ? undefined : decodeURIComponent(first),
      key: rest.length === 0 || key === '' ? undefined : key,
    };
  }

  private bucketDir(bucket: string): string {
    if (!BUCKET_NAME.test(bucket))
      throw new AwsError('InvalidBucketName', 'The specified bucket is not valid.', 400, {
        BucketName: bucket,
      });
    return join(this.root, bucket);
  }

  private requireBucket(bucket: string): string {
    const dir = this.bucketDir(bucket);
    if (!existsSync(dir))
      throw new AwsError('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
    return dir;
  }

  async handle(request: AwsRequest): Promise<AwsResponse> {
    const { bucket, key } = this.address(request);
    const q = request.query;
    const method = request.method;
    if (bucket === undefined) {
      if (method === 'GET') return this.listBuckets();
    } else if (key === undefined) {
      if (method === 'PUT' && q.size === 0) return this.createBucket(bucket);
      if (method === 'HEAD') {
        this.requireBucket(bucket);
        return { status: 200, headers: { 'x-amz-bucket-region': request.region } };
      }
      if (method === 'GET' && q.has('location')) {
        this.requireBucket(bucket);
        return xml(
          `<LocationConstraint xmlns="${XMLNS}">${request.region === 'us-east-1' ? '' : escapeXml(request.region)}</LocationConstraint>`,
        );
      }
      if (
        method === 'GET' &&
        [...q.keys()].every((k) =>
          [
            'list-type',
            'prefix',
            'delimiter',
            'max-keys',
            'continuation-token',
            'start-after',
            'marker',
            'encoding-type',
            'fetch-owner',
          ].includes(k),
        )
      ) {
        return this.list(bucket, q);
      }
      if (method === 'DELETE' && q.size === 0) return this.deleteBucket(bucket);
    } else if (q.size === 0 || [...q.keys()].every((k) => k.startsWith('x-id') || k.startsWith('X-Amz-'))) {
      if (method === 'PUT' && request.headers['x-amz-copy-source'] === undefined)
        return this.putObject(bucket, key, request);
      if (method === 'PUT') return this.copyObject(bucket, key, String(request.headers['x-amz-copy-source']), request);
      if (method === 'GET' || method === 'HEAD') return this.getObject(bucket, key, method === 'HEAD', request);
      if (method === 'DELETE') return this.deleteObject(bucket, key);
    }
    throw new AwsError(
      'NotImplemented',
      `${method} ${request.path}${q.size ? `?${q.toString()}` : ''} is not provided by the local S3 endpoint`,
      501,
    );
  }

  private listBuckets(): AwsResponse {
    const buckets = readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && BUCKET_NAME.test(e.name))
      .map((e) => ({ name: e.name, created: statSync(join(this.root, e.name)).birthtime }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return xml(
      `<ListAllMyBucketsResult xmlns="${XMLNS}"><Owner><ID>local</ID><DisplayName>local</DisplayName></Owner><Buckets>${buckets
        .map((b) => `<Bucket>${tag('Name', b.name)}${tag('CreationDate', b.created.toISOString())}</Bucket>`)
        .join('')}</Buckets></ListAllMyBucketsResult>`,
    );
  }

  private createBucket(bucket: string): AwsResponse {
    mkdirSync(this.bucketDir(bucket), { recursive: true });
    return { status: 200, headers: { location: `/${bucket}` } };
  }

  private deleteBucket(bucket: string): AwsResponse {
    const dir = this.requireBucket(bucket);
    if (listObjects(this.root, bucket).length > 0)
      throw new AwsError('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, {
        BucketName: bucket,
      });
    rmSync(dir, { recursive: true, force: true });
    return { status: 204 };
  }

  private list(bucket: string, q: URLSearchParams): AwsResponse {
    this.requireBucket(bucket);
    const v2 = q.get('list-type') === '2';
    const prefix = q.get('prefix') ?? '';
    const delimiter = q.get('delimiter') ?? '';
    const maxKeys = Math.max(0, Math.min(1000, Number(q.get('max-keys') ?? 1000) || 0));
    const urlEncoded = q.get('encoding-type') === 'url';
    const enc = (s: string): string => (urlEncoded ? encodeURIComponent(s).replace(/%2F/g, '/') : s);
    const token = q.get('continuation-token');
    const after = v2
      ? token
        ? Buffer.from(token, 'base64url').toString('utf8')
        : (q.get('start-after') ?? '')
      : (q.get('marker') ?? '');

    // Keys and common prefixes in key order, after the marker.
    const entries: Array<{ kind: 'object'; object: ListedObject } | { kind: 'prefix'; prefix: string }> = [];
    const seenPrefixes = new Set<string>();
    for (const object of listObjects(this.root, bucket)) {
      if (!object.key.startsWith(prefix) || object.key <= after) continue;
      if (delimiter) {
        const at = object.key.indexOf(delimiter, prefix.length);
        if (at >= 0) {
          const common = object.key.slice(0, at + delimiter.length);
          if (common <= after || seenPrefixes.has(common)) continue;
          seenPrefixes.add(common);
          entries.push({ kind: 'prefix', prefix: common });
          continue;
        }
      }
      entries.push({ kind: 'object', object });
    }
    const page = entries.slice(0, maxKeys);
    const truncated = entries.length > page.length;
    const last = page[page.length - 1];
    const lastKey = last === undefined ? undefined : last.kind === 'object' ? last.object.key : last.prefix;
    const body = [
      tag('Name', bucket),
      tag('Prefix', enc(prefix)),
      ...(delimiter ? [tag('Delimiter', enc(delimiter))] : []),
      tag('MaxKeys', maxKeys),
      ...(urlEncoded ? [tag('EncodingType', 'url')] : []),
      tag('IsTruncated', truncated),
      ...(v2
        ? [
            tag('KeyCount', page.length),
            ...(token ? [tag('ContinuationToken', token)] : []),
            ...(q.get('start-after') ? [tag('StartAfter', enc(q.get('start-after') ?? ''))] : []),
            ...(truncated && lastKey !== undefined
              ? [tag('NextContinuationToken', Buffer.from(lastKey).toString('base64url'))]
              : []),
          ]
        : [
            tag('Marker', enc(after)),
            ...(truncated && lastKey !== undefined && delimiter ? [tag('NextMarker', enc(lastKey))] : []),
          ]),
      ...page.map((e) =>
        e.kind === 'object'
          ? `<Contents>${tag('Key', enc(e.object.key))}${tag('LastModified', e.object.lastModified.toISOString())}${tag('ETag', md5(readFileSync(objectPath(this.root, bucket, e.object.key) ?? '')))}${tag('Size', e.object.size)}${tag('StorageClass', 'STANDARD')}</Contents>`
          : `<CommonPrefixes>${tag('Prefix', enc(e.prefix))}</CommonPrefixes>`,
      ),
    ].join('');
    return xml(`<ListBucketResult xmlns="${XMLNS}">${body}</ListBucketResult>`);
  }

  private path(bucket: string, key: string): string {
    this.bucketDir(bucket);
    const path = objectPath(this.root, bucket, key);
    if (!path)
      throw new AwsError(
        'InvalidArgument',
        `The local S3 tree cannot store the key '${key}' (empty path segment)`,
        400,
      );
    return path;
  }

  private putObject(bucket: string, key: string, request: AwsRequest): AwsResponse {
    this.path(bucket, key);
    const encoding = String(request.headers['content-encoding'] ?? '');
    const sha = String(request.headers['x-amz-content-sha256'] ?? '');
    const body =
      encoding.includes('aws-chunked') || sha.startsWith('STREAMING-') ? decodeAwsChunked(request.body) : request.body;
    writeObject(this.root, bucket, key, body);
    return { status: 200, headers: { etag: md5(body) } };
  }

  /** CopyObject: `x-amz-copy-source` is `[/]<bucket>/<url-encoded key>[?versionId=…]`. */
  private copyObject(bucket: string, key: string, source: string, request: AwsRequest): AwsResponse {
    const raw = source.replace(/^\//, '').split('?')[0] ?? '';
    const slash = raw.indexOf('/');
    let sourceKey: string;
    try {
      sourceKey = decodeURIComponent(raw.slice(slash + 1));
    } catch {
      throw new AwsError('InvalidArgument', 'Invalid copy source encoding', 400);
    }
    if (slash <= 0 || sourceKey === '')
      throw new AwsError(
        'InvalidArgument',
        'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
        400,
      );
    const read = this.getObject(raw.slice(0, slash), sourceKey, false, { ...request, headers: {} });
    const body = read.body as Buffer;
    this.path(bucket, key);
    this.requireBucket(bucket);
    writeObject(this.root, bucket, key, body);
    return xml(
      `<CopyObjectResult xmlns="${XMLNS}">${tag('LastModified', new Date().toISOString())}${tag('ETag', md5(body))}</CopyObjectResult>`,
    );
  }

  private getObject(bucket: string, key: string, head: boolean, request: AwsRequest): AwsResponse {
    const path = this.path(bucket, key);
    this.requireBucket(bucket);
    let bytes: Buffer;
    try {
      if (!statSync(path).isFile()) throw new Error('not a file');
      bytes = readFileSync(path);
    } catch {
      throw new AwsError('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
    }
    const headers: Record<string, string> = {
      'content-type': key.endsWith('.json') ? 'application/json' : 'application/octet-stream',
      etag: md5(bytes),
      'last-modified': statSync(path).mtime.toUTCString(),
      'accept-ranges': 'bytes',
    };
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(request.headers.range ?? ''));
    if (range && !head) {
      const start = range[1] === '' ? Math.max(0, bytes.length - Number(range[2])) : Number(range[1]);
      const end = range[1] !== '' && range[2] !== '' ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
      if (start > end || start >= bytes.length)
        throw new AwsError('InvalidRange', 'The requested range is not satisfiable', 416);
      return {
        status: 206,
        headers: { ...headers, 'content-range': `bytes ${start}-${end}/${bytes.length}` },
        body: bytes.subarray(start, end + 1),
      };
    }
    if (head) return { status: 200, headers: { ...headers, 'content-length': String(bytes.length) } };
    return { status: 200, headers, body: bytes };
  }

  private deleteObject(bucket: string, key: string): AwsResponse {
    const path = this.path(bucket, key);
    this.requireBucket(bucket);
    rmSync(path, { force: true });
    // Remove directories the object leaves empty (keys, not folders, exist in S3).
    let dir = join(path, '..');
    const bucketDir = join(this.root, bucket);
    while (dir.startsWith(bucketDir) && dir !== bucketDir) {
      try {
        rmdirSync(dir);
      } catch {
        break;
      }
      dir = join(dir, '..');
    }
    return { status: 204 };
  }
}
