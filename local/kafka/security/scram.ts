/**
 * SASL/SCRAM-SHA-512, server side (RFC 5802 with RFC 7677's hash), as Kafka's SCRAM listeners do
 * it. Only salted credentials are kept (salt, iterations, StoredKey, ServerKey: what Kafka stores
 * in its metadata), never the password. A wrong password or an unknown user get the same answer,
 * so the error does not tell which user names exist.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_MECHANISM = 'SCRAM-SHA-512';
/** Kafka's minimum (and default) iteration count for SCRAM-SHA-512. */
export const SCRAM_ITERATIONS = 4096;

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string | Buffer): Buffer => createHmac('sha512', key).update(text).digest();

export function scramCredential(
  password: string,
  iterations = SCRAM_ITERATIONS,
  salt = randomBytes(32),
): ScramCredential {
  const salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 64, 'sha512');
  return {
    salt,
    iterations,
    storedKey: createHash('sha512').update(hmac(salted, 'Client Key')).digest(),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** Authentication refused; the message is what the client is told. */
export class SaslAuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslAuthenticationError';
  }
}

const INVALID = `Authentication failed during authentication due to invalid credentials with SASL mechanism ${SCRAM_MECHANISM}`;

/** `a=1,b=2` → Map; values may contain '='. */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) out.set(part[0]!, part.slice(2));
  }
  return out;
}

/** RFC 5802 saslname: '=2C' is ',', '=3D' is '='. */
function decodeName(name: string): string {
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/**
 * One SCRAM exchange: `step` takes each client message and returns the server's answer; after
 * the second step `principal` is set. Any protocol or credential problem throws
 * SaslAuthenticationError.
 */
export class ScramServerSession {
  principal: string | undefined;
  private readonly lookup: (user: string) => ScramCredential | undefined;
  private state:
    | {
        clientFirstBare: string;
        serverFirst: string;
        nonce: string;
        gs2Header: string;
        credential: ScramCredential;
        user: string;
      }
    | undefined;

  constructor(lookup: (user: string) => ScramCredential | undefined) {
    this.lookup = lookup;
  }

  get done(): boolean {
    return this.principal !== undefined;
  }

  step(message: Buffer): Buffer {
    const text = message.toString('utf8');
    if (this.state === undefined) return this.first(text);
    return this.final(text, this.state);
  }

  private first(text: string): Buffer {
    // gs2-header: "n,," / "y,," (no channel binding) then client-first-bare "n=user,r=nonce[,ext]".
    const match = /^([ny]),(a=[^,]*)?,(.*)$/.exec(text);
    if (!match)
      throw new SaslAuthenticationError(`Invalid SCRAM client first message (channel binding is not supported)`);
    const clientFirstBare = match[3] ?? '';
    const attrs = attributes(clientFirstBare);
    const user = decodeName(attrs.get('n') ?? '');
    const clientNonce = attrs.get('r') ?? '';
    if (user === '' || clientNonce === '')
      throw new SaslAuthenticationError('Invalid SCRAM client first message: no user name or nonce');
    if (attrs.has('m')) throw new SaslAuthenticationError('Unsupported SCRAM extension');
    const credential = this.lookup(user);
    if (credential === undefined) throw new SaslAuthenticationError(INVALID);
    const nonce = clientNonce + randomBytes(24).toString('base64url');
    const serverFirst = `r=${nonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = {
      clientFirstBare,
      serverFirst,
      nonce,
      gs2Header: text.slice(0, text.length - clientFirstBare.length),
      credential,
      user,
    };
    return Buffer.from(serverFirst, 'utf8');
  }

  private final(text: string, state: NonNullable<ScramServerSession['state']>): Buffer {
    if (this.principal !== undefined)
      throw new SaslAuthenticationError('Unexpected SCRAM message after authentication');
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslAuthenticationError('Invalid SCRAM client final message: no proof');
    const withoutProof = text.slice(0, proofAt);
    const attrs = attributes(withoutProof);
    if (attrs.get('c') !== Buffer.from(state.gs2Header, 'utf8').toString('base64'))
      throw new SaslAuthenticationError('Invalid SCRAM channel binding');
    // Kafka's ScramSaslServer only checks that the nonce *ends with* the server nonce, and
    // librdkafka (up to 2.x) relies on it: it sends client nonce + the whole server nonce.
    if (!(attrs.get('r') ?? '').endsWith(state.nonce))
      throw new SaslAuthenticationError('Invalid SCRAM nonce in the client final message');
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const authMessage = `${state.clientFirstBare},${state.serverFirst},${withoutProof}`;
    const clientSignature = hmac(state.credential.storedKey, authMessage);
    if (proof.length !== clientSignature.length) throw new SaslAuthenticationError(INVALID);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const storedKey = createHash('sha512').update(clientKey).digest();
    if (!timingSafeEqual(storedKey, state.credential.storedKey)) throw new SaslAuthenticationError(INVALID);
    this.principal = state.user;
    return Buffer.from(`v=${hmac(state.credential.serverKey, authMessage).toString('base64')}`, 'utf8');
  }
}
