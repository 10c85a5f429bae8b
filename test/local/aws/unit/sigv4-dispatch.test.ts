import { request } from 'node:http';
import { parseScope, requestScope, scopeFromAuthorization } from '../../../../local/aws/sigv4.ts';
import { AwsError } from '../../../../local/aws/errors.ts';
import { log } from '../../../../local/aws/logger.ts';
import {
  startEndpointServer,
  type AwsRequest,
  type EndpointServer,
  type ServiceModule,
} from '../../../../local/aws/server.ts';

function post(
  url: string,
  path: string,
  headers: Record<string, string>,
  body = '',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = (service: string, region = 'eu-west-1'): string =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;

describe('SigV4 credential scope', () => {
  it('parses the scope of an Authorization header', () => {
    expect(scopeFromAuthorization(auth('firehose'))).toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      date: '20260101',
      region: 'eu-west-1',
      service: 'firehose',
    });
  });

  it('returns undefined for other schemes and malformed scopes', () => {
    expect(scopeFromAuthorization('Bearer x')).toBeUndefined();
    expect(
      scopeFromAuthorization('AWS4-HMAC-SHA256 Credential=AKID/2026/us-east-1/firehose/aws4_request'),
    ).toBeUndefined();
    expect(parseScope('AKID/20260101/us-east-1/lambda')).toBeUndefined();
  });

  it('reads presigned query credentials and falls back to protocol hints without a signature', () => {
    const q = new URLSearchParams({ 'X-Amz-Credential': 'AKID/20260101/us-west-2/lambda/aws4_request' });
    expect(requestScope({}, '/x', q)?.service).toBe('lambda');
    expect(
      requestScope({ 'x-amz-target': 'Firehose_20150804.ListDeliveryStreams' }, '/', new URLSearchParams())?.service,
    ).toBe('firehose');
    expect(requestScope({}, '/2015-03-31/event-source-mappings', new URLSearchParams())?.service).toBe('lambda');
    expect(requestScope({}, '/', new URLSearchParams())).toBeUndefined();
  });
});

describe('endpoint server dispatch', () => {
  let server: EndpointServer;
  const seen: Array<{ service: string; region: string }> = [];
  const module = (service: string, protocol: 'json' | 'rest-json'): ServiceModule => ({
    service,
    protocol,
    async handle(req: AwsRequest) {
      seen.push({ service, region: req.region });
      if (req.path === '/fail') throw new AwsError('ResourceNotFoundException', 'nope', 404);
      if (req.path === '/crash') throw new Error('boom');
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service }),
      };
    },
  });

  beforeAll(async () => {
    process.env.LOCAL_AWS_LOG = 'silent'; // the 500 case logs an error on purpose
    log.reconfigure();
    server = await startEndpointServer({
      port: 0,
      accountId: '000000000000',
      services: [module('firehose', 'json'), module('lambda', 'rest-json')],
      control: async (req) => (req.path === '/_local/health' ? { status: 200, body: 'ok' } : undefined),
    });
  });
  afterAll(async () => {
    await server.close();
    delete process.env.LOCAL_AWS_LOG;
    log.reconfigure();
  });

  it('routes each request to the module named in its credential scope, with the scope region', async () => {
    const a = await post(server.url, '/', { authorization: auth('firehose') });
    const b = await post(server.url, '/', { authorization: auth('lambda', 'us-west-2') });
    expect(JSON.parse(a.body)).toEqual({ service: 'firehose' });
    expect(JSON.parse(b.body)).toEqual({ service: 'lambda' });
    expect(seen.slice(-2)).toEqual([
      { service: 'firehose', region: 'eu-west-1' },
      { service: 'lambda', region: 'us-west-2' },
    ]);
  });

  it('renders AwsError as __type/message for JSON 1.1 and x-amzn-ErrorType for REST-JSON', async () => {
    const json = await post(server.url, '/fail', { authorization: auth('firehose') });
    expect(json.status).toBe(404);
    expect(JSON.parse(json.body)).toEqual({ __type: 'ResourceNotFoundException', message: 'nope' });
    const rest = await post(server.url, '/fail', { authorization: auth('lambda') });
    expect(rest.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(JSON.parse(rest.body)).toEqual({ Type: 'User', message: 'nope' });
  });

  it('answers 500 in the service protocol when a module throws something else', async () => {
    const res = await post(server.url, '/crash', { authorization: auth('firehose') });
    expect(res.status).toBe(500);
    expect(JSON.parse(res.body).__type).toBe('InternalFailure');
  });

  it('answers 501 NotImplementedException for services it does not provide', async () => {
    const res = await post(server.url, '/', { authorization: auth('sqs') });
    expect(res.status).toBe(501);
    expect(res.headers['x-amzn-errortype']).toBe('NotImplementedException');
    expect(JSON.parse(res.body).message).toContain("'sqs'");
  });

  it('serves /_local control routes without a signature', async () => {
    const ok = await post(server.url, '/_local/health', {});
    expect(ok.body).toBe('ok');
    const missing = await post(server.url, '/_local/nothing', {});
    expect(missing.status).toBe(404);
  });
});
