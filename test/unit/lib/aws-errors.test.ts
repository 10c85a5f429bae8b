import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import {
  BadRequestException,
  InternalServerErrorException,
  TooManyRequestsException as KafkaTooManyRequests,
} from '@aws-sdk/client-kafka';
import {
  FirehoseClient,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { ServiceException as LambdaServiceException } from '@aws-sdk/client-lambda';
import { ExecutionAlreadyExists, ExecutionLimitExceeded, InvalidArn } from '@aws-sdk/client-sfn';
import { isTransientAwsError, isUnansweredCall } from '../../../functions/lib/aws-errors.ts';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode }, message: 'from the service' });

/** A Firehose client against 127.0.0.1:port with no retries and fixed credentials. */
function firehoseAt(port: number): FirehoseClient {
  return new FirehoseClient({
    region: 'eu-west-1',
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
}

async function callError(client: FirehoseClient): Promise<unknown> {
  try {
    await client.send(new ListDeliveryStreamsCommand({}));
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded');
}

describe('isTransientAwsError', () => {
  it('is true for the SDK’s own throttling and server exceptions, false for client errors', () => {
    const named = (e: unknown) => [(e as Error | undefined)?.name ?? String(e), isTransientAwsError(e)];
    const transient = [KafkaTooManyRequests, InternalServerErrorException, ServiceUnavailableException];
    const permanent = [BadRequestException, ResourceNotFoundException, InvalidArgumentException, InvalidArn];
    const answers = [
      ...transient.map((Class) => new Class(meta(503))),
      new ProvisionedThroughputExceededException(meta(400)),
      new LambdaServiceException(meta(500)),
      ...permanent.map((Class) => new Class(meta(400))),
      new ExecutionAlreadyExists(meta(400)),
    ];
    expect(answers.map(named)).toEqual([
      ['TooManyRequestsException', true],
      ['InternalServerErrorException', true],
      ['ServiceUnavailableException', true],
      ['ProvisionedThroughputExceededException', true],
      ['ServiceException', true],
      ['BadRequestException', false],
      ['ResourceNotFoundException', false],
      ['InvalidArgumentException', false],
      ['InvalidArn', false],
      ['ExecutionAlreadyExists', false],
    ]);
    expect([new TypeError('bug'), new Error('plain'), undefined, 'text'].map(named)).toEqual([
      ['TypeError', false],
      ['Error', false],
      ['undefined', false],
      ['text', false],
    ]);
  });

  it('is true for the project’s additions the SDK does not list (Step Functions ExecutionLimitExceeded)', () => {
    expect(isTransientAwsError(new ExecutionLimitExceeded(meta(400)))).toBe(true);
  });

  describe('with errors the SDK raises over a real socket', () => {
    let server: Server;
    let status = 503;
    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(status === 400 ? '{"__type":"InvalidArgumentException","message":"bad"}' : '{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('a 5xx without a known error name is transient; a named 400 is not', async () => {
      const client = firehoseAt((server.address() as AddressInfo).port);
      status = 502;
      const gateway = await callError(client);
      expect((gateway as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(502);
      expect(isTransientAwsError(gateway)).toBe(true);
      status = 400;
      const invalid = await callError(client);
      expect((invalid as Error).name).toBe('InvalidArgumentException');
      expect(isTransientAwsError(invalid)).toBe(false);
      expect(isUnansweredCall(invalid)).toBe(false);
      client.destroy();
    });

    it('a refused connection is transient (the Node error) and unanswered (as the SDK raises it)', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const nodeError = await new Promise<Error>((resolve) => connect(port, '127.0.0.1').on('error', resolve));
      expect((nodeError as { code?: string }).code).toBe('ECONNREFUSED');
      expect(isTransientAwsError(nodeError)).toBe(true);
      // Under jest's module sandbox the SDK wraps Node's (other-realm) error and drops its code;
      // what stays is that no answer came, which is what the sink's resend decision reads.
      const client = firehoseAt(port);
      const refused = await callError(client);
      expect((refused as Error).message).toContain('ECONNREFUSED');
      expect(isUnansweredCall(refused)).toBe(true);
      client.destroy();
    });
  });
});

describe('isUnansweredCall', () => {
  it('is false for programming errors and for answers with a status', () => {
    expect(isUnansweredCall(new TypeError('bug'))).toBe(false);
    expect(isUnansweredCall(new BadRequestException(meta(400)))).toBe(false);
    expect(isUnansweredCall(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(true);
  });
});
