/**
 * MSK IAM authentication: SASL/OAUTHBEARER with a token signed by `aws-msk-iam-sasl-signer-js`.
 *
 * @platformatic/kafka calls the token provider on every authentication, i.e. for each new broker
 * connection and for each re-authentication MSK asks for when a session nears its end. Tokens are
 * SigV4 presigned URLs valid for 15 minutes; a fresh one is signed when the cached one is more than
 * a minute old, so a session never starts with a token close to expiry while the fan-out to all
 * brokers on connect still signs only once.
 */
import { KafkaUnavailableError } from './errors.ts';

export interface MskAuthToken {
  token: string;
  /** Expiry, ms since the epoch. */
  expiryTime: number;
}

/** The signer port; the default is `generateAuthToken` from aws-msk-iam-sasl-signer-js. */
export type MskIamSigner = (options: { region: string }) => Promise<MskAuthToken>;

/**
 * Signs with the default AWS credential chain (the Lambda role); loaded on first use. The signer is
 * CommonJS: its functions are taken from `default` (module.exports), which both Node and a code-split
 * bundle provide (a split bundle's chunk of a CommonJS module exports nothing else; D25).
 */
export const defaultMskIamSigner: MskIamSigner = async (options) => {
  const { default: signer } = await import('aws-msk-iam-sasl-signer-js');
  return signer.generateAuthToken(options);
};

export interface IamTokenProviderOptions {
  signer?: MskIamSigner;
  /** Clock port for tests. */
  now?: () => number;
  /** How long a signed token is reused (default 60 s). */
  reuseMs?: number;
}

/**
 * Returns the OAUTHBEARER token provider for `region`. A signer failure surfaces as
 * `KafkaUnavailableError` with reason `credentials` (no AWS credentials, STS unreachable, ...).
 */
export function createIamTokenProvider(region: string, options: IamTokenProviderOptions = {}): () => Promise<string> {
  const signer = options.signer ?? defaultMskIamSigner;
  const now = options.now ?? Date.now;
  const reuseMs = options.reuseMs ?? 60_000;
  let cached: { token: string; signedAt: number; expiryTime: number } | undefined;
  let inflight: Promise<string> | undefined;

  return () => {
    const at = now();
    if (cached && at - cached.signedAt < reuseMs && cached.expiryTime - at > reuseMs) {
      return Promise.resolve(cached.token);
    }
    inflight ??= signer({ region })
      .then((signed) => {
        if (typeof signed?.token !== 'string' || signed.token === '') {
          throw new Error('the signer returned no token');
        }
        cached = { token: signed.token, signedAt: at, expiryTime: signed.expiryTime };
        return signed.token;
      })
      .catch((error: unknown) => {
        cached = undefined;
        const detail = error instanceof Error ? error.message : String(error);
        throw new KafkaUnavailableError(`Cannot sign an MSK IAM auth token for ${region}: ${detail}`, 'credentials', {
          cause: error,
        });
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}
