import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { fetchScramCredentials, KafkaConfigError, KafkaUnavailableError } from '../../../functions/lib/kafka/index.ts';
import { rejection } from './helpers.ts';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_clickstream-AbCdEf';

function awsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('fetchScramCredentials', () => {
  const secrets = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
  });

  beforeEach(() => secrets.reset());

  it('returns username and password from the MSK-style SecretString', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN })
      .resolves({ SecretString: '{"username":"alice","password":"alice-secret"}' });
    await expect(fetchScramCredentials(client, ARN)).resolves.toEqual({
      username: 'alice',
      password: 'alice-secret',
    });
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it.each([
    ['no SecretString (binary secret)', {}, 'has no SecretString'],
    ['SecretString that is not JSON', { SecretString: 'alice:alice-secret' }, 'SecretString is not JSON'],
    ['a JSON array', { SecretString: '["alice","alice-secret"]' }, 'is not a JSON object'],
    ['no password', { SecretString: '{"username":"alice"}' }, 'no non-empty string "password"'],
    [
      'an empty username',
      { SecretString: '{"username":"","password":"alice-secret"}' },
      'no non-empty string "username"',
    ],
    ['a numeric password', { SecretString: '{"username":"alice","password":12345}' }, 'no non-empty string "password"'],
  ])('rejects a secret with %s naming the property and the expected shape', async (_label, output, text) => {
    secrets.on(GetSecretValueCommand).resolves(output);
    const error = await rejection(fetchScramCredentials(client, ARN, 'scramSecretArn'));
    expect(error).toBeInstanceOf(KafkaConfigError);
    expect(error.message).toContain(`scramSecretArn: secret '${ARN}'`);
    expect(error.message).toContain(text);
    expect(error.message).toContain('{"username","password"}');
    expect(error.message).not.toContain('alice-secret');
  });

  it.each(['ResourceNotFoundException', 'AccessDeniedException', 'DecryptionFailure'])(
    'turns %s into a KafkaConfigError naming KAFKA_SCRAM_SECRET_ARN',
    async (name) => {
      secrets.on(GetSecretValueCommand).rejects(awsError(name, 'nope'));
      const error = await rejection(fetchScramCredentials(client, ARN));
      expect(error).toBeInstanceOf(KafkaConfigError);
      expect(error.message).toBe(`KAFKA_SCRAM_SECRET_ARN: cannot read secret '${ARN}' (${name}: nope)`);
      expect((error as KafkaConfigError).cause).toBeInstanceOf(Error);
    },
  );

  it('turns a throttling or network failure into a KafkaUnavailableError (credentials)', async () => {
    secrets.on(GetSecretValueCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    const error = await rejection(fetchScramCredentials(client, ARN));
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect(error.name).toBe('KafkaUnavailableError');
    expect((error as KafkaUnavailableError).reason).toBe('credentials');
    expect(error.message).toContain('ThrottlingException');
  });
});
