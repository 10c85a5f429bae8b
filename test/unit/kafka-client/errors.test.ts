import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import { KafkaConfigError, KafkaUnavailableError } from '../../../functions/lib/kafka/index.ts';
import { classifyKafkaFailure, rootMessage } from '../../../functions/lib/kafka/errors.ts';

const systemError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('KafkaConfigError', () => {
  it('sets name and property and prefixes the message with the property', () => {
    const cause = new Error('ENOENT');
    const error = new KafkaConfigError('ssl.truststore.location', "file '/x' does not exist", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('KafkaConfigError');
    expect(error.property).toBe('ssl.truststore.location');
    expect(error.message).toBe("ssl.truststore.location: file '/x' does not exist");
    expect(error.cause).toBe(cause);
  });
});

describe('KafkaUnavailableError', () => {
  it('sets name, reason and cause', () => {
    const cause = new Error('boom');
    const error = new KafkaUnavailableError('Kafka did not acknowledge', 'timeout', { cause });
    expect(error.name).toBe('KafkaUnavailableError');
    expect(error.reason).toBe('timeout');
    expect(error.cause).toBe(cause);
  });
});

describe('classifyKafkaFailure', () => {
  it('finds a refused connection deep inside aggregated retries as unreachable', () => {
    const refused = new NetworkError('Connection to a:9092 failed.', {
      cause: systemError('ECONNREFUSED', 'connect ECONNREFUSED'),
    });
    const error = new MultipleErrors('initProducerId failed 3 times.', [
      new MultipleErrors('Cannot connect to any broker.', [refused]),
    ]);
    expect(classifyKafkaFailure(error)).toBe('unreachable');
    expect(rootMessage(error)).toBe('connect ECONNREFUSED');
  });

  it("appends the broker's own explanation of a protocol error to the root message", () => {
    const refused = new ProtocolError(
      58,
      'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
    const error = new MultipleErrors('Cannot connect to any broker.', [
      new NetworkError('Connection to a:9096 failed.', {
        cause: new AuthenticationError('SASL authentication failed.', {
          cause: new MultipleErrors('SaslAuthenticate failed', [refused]),
        }),
      }),
    ]);
    expect(classifyKafkaFailure(error)).toBe('authentication');
    expect(rootMessage(error)).toBe(
      'SASL authentication failed. Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512',
    );
  });

  it('reports a request timeout as timeout', () => {
    expect(
      classifyKafkaFailure(new MultipleErrors('listApis failed 3 times.', [new TimeoutError('Request timed out')])),
    ).toBe('timeout');
  });

  it('prefers tls over the network error that wraps it', () => {
    const error = new NetworkError('Connection to a:9094 failed.', {
      cause: systemError('SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'),
    });
    expect(classifyKafkaFailure(error)).toBe('tls');
  });

  it('recognises a plaintext client talking to a TLS listener', () => {
    expect(classifyKafkaFailure(new UserError('Broker requires TLS.'))).toBe('tls');
  });

  it('reports SASL failures as authentication', () => {
    const error = new NetworkError('Connection to a:9096 failed.', {
      cause: new AuthenticationError('SASL authentication failed.'),
    });
    expect(classifyKafkaFailure(error)).toBe('authentication');
  });

  it('reports broker error codes as rejected', () => {
    expect(classifyKafkaFailure(new ProtocolError('NOT_ENOUGH_REPLICAS'))).toBe('rejected');
  });

  it('keeps the reason of our own error raised inside the client (IAM token provider)', () => {
    const own = new KafkaUnavailableError('Cannot sign an MSK IAM auth token', 'credentials');
    const error = new NetworkError('Connection to a:9098 failed.', {
      cause: new AuthenticationError('The SASL/OAUTHBEARER token provider threw an error.', { cause: own }),
    });
    expect(classifyKafkaFailure(error)).toBe('credentials');
  });
});
