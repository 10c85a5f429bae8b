/**
 * AWS Secrets Manager (`secretsmanager`, JSON 1.1), the two operations the SCRAM path needs:
 * CreateSecret and GetSecretValue (by name or ARN), so MSK's `AmazonMSK_*` SCRAM credentials
 * come from where they do on AWS (the Kafka client module reads them with GetSecretValue; people
 * read them with `aws secretsmanager get-secret-value`). Secrets are kept in
 * `<dataDir>/secretsmanager/secrets.json` (dev credentials only, stored in clear).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { AwsError } from '../errors.ts';
import { readJson, writeJson } from '../json-store.ts';
import type { AwsRequest, AwsResponse, ServiceModule } from '../server.ts';
import { CONTENT_TYPE } from '../json-response.ts';
import { dispatchJsonTarget, type JsonOperations } from '../json-target.ts';

export interface SecretsManagerOptions {
  dataDir: string;
  region: string;
  accountId: string;
}

interface StoredSecret {
  arn: string;
  name: string;
  description?: string;
  secretString?: string;
  /** base64 */
  secretBinary?: string;
  versionId: string;
  /** epoch seconds */
  createdDate: number;
}

const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)$/;

const notFound = (): AwsError =>
  new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.", 400);

export class SecretsManagerService implements ServiceModule {
  readonly service = 'secretsmanager';
  readonly protocol = 'json' as const;
  private readonly options: SecretsManagerOptions;
  private readonly path: string;
  private readonly secrets: Map<string, StoredSecret>;

  constructor(options: SecretsManagerOptions) {
    this.options = options;
    this.path = join(options.dataDir, 'secretsmanager', 'secrets.json');
    this.secrets = new Map(readJson<StoredSecret[]>(this.path, []).map((s) => [s.name, s]));
  }

  /** The two operations the SCRAM path needs, by X-Amz-Target operation name. */
  private readonly operations: JsonOperations = {
    CreateSecret: (body, request) => this.createSecret(body, request.region),
    GetSecretValue: (body) => this.getSecretValue(body),
  };

  handle(request: AwsRequest): Promise<AwsResponse> {
    return dispatchJsonTarget(request, {
      targetPrefix: 'secretsmanager.',
      label: 'Secrets Manager',
      contentType: CONTENT_TYPE.json11,
      operations: this.operations,
    });
  }

  /** Finds a secret by name or ARN (full or partial, as GetSecretValue accepts). */
  find(secretId: string): StoredSecret | undefined {
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    const arnName = ARN.exec(secretId)?.[1];
    if (arnName === undefined) return undefined;
    return [...this.secrets.values()].find((s) => s.arn === secretId || s.name === arnName);
  }

  /** Creates the secret unless one of that name exists; returns the stored one (used to seed the dev SCRAM user). */
  ensure(name: string, secretString: () => string, description?: string): { arn: string; secretString: string } {
    const existing = this.secrets.get(name);
    if (existing?.secretString !== undefined) return { arn: existing.arn, secretString: existing.secretString };
    const created = this.createSecret(
      { Name: name, SecretString: secretString(), ...(description ? { Description: description } : {}) },
      this.options.region,
    );
    return { arn: String(created.ARN), secretString: this.secrets.get(name)?.secretString ?? '' };
  }

  private createSecret(body: Record<string, unknown>, region: string): Record<string, unknown> {
    const name = body.Name;
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${String(name)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9/_+=.@-]+$ and have length between 1 and 512`,
      );
    }
    const { SecretString: secretString, SecretBinary: secretBinary, Description: description } = body;
    if (secretString !== undefined && typeof secretString !== 'string')
      throw new AwsError('InvalidParameterException', 'SecretString must be a string');
    if (secretBinary !== undefined && typeof secretBinary !== 'string')
      throw new AwsError('InvalidParameterException', 'SecretBinary must be base64 text');
    if (secretString !== undefined && secretBinary !== undefined)
      throw new AwsError(
        'InvalidParameterException',
        "You can't specify both a binary secret value and a string secret value in the same secret.",
      );
    if (this.secrets.has(name))
      throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    const secret: StoredSecret = {
      arn: `arn:aws:secretsmanager:${region}:${this.options.accountId}:secret:${name}-${randomBytes(3).toString('hex')}`,
      name,
      ...(typeof description === 'string' ? { description } : {}),
      ...(secretString !== undefined ? { secretString } : {}),
      ...(secretBinary !== undefined ? { secretBinary } : {}),
      versionId: randomUUID(),
      createdDate: Math.floor(Date.now() / 1000),
    };
    this.secrets.set(name, secret);
    writeJson(this.path, [...this.secrets.values()]);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secretString !== undefined || secretBinary !== undefined ? { VersionId: secret.versionId } : {}),
    };
  }

  private getSecretValue(body: Record<string, unknown>): Record<string, unknown> {
    const secretId = body.SecretId;
    if (typeof secretId !== 'string' || secretId === '')
      throw new AwsError('InvalidParameterException', 'SecretId is required');
    const secret = this.find(secretId);
    if (!secret) throw notFound();
    if (body.VersionId !== undefined && body.VersionId !== secret.versionId) throw notFound();
    if (body.VersionStage !== undefined && body.VersionStage !== 'AWSCURRENT') throw notFound();
    if (secret.secretString === undefined && secret.secretBinary === undefined) {
      throw new AwsError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
      );
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
      ...(secret.secretString !== undefined ? { SecretString: secret.secretString } : {}),
      ...(secret.secretBinary !== undefined ? { SecretBinary: secret.secretBinary } : {}),
    };
  }
}
