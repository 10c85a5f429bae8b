/**
 * The dev brokers' listeners and what each asks of a connection:
 *   plaintext  PLAINTEXT                        (MSK 9092)
 *   tls        SSL, no client authentication    (MSK 9094)
 *   scram      SASL_SSL, SCRAM-SHA-512          (MSK 9096)
 *   iam        SASL_SSL, OAUTHBEARER (MSK IAM)  (MSK 9098)
 * and the per-connection SASL state: until the exchange succeeds a SASL connection may only send
 * ApiVersions, SaslHandshake and SaslAuthenticate, as on a real broker.
 */
import type { BrokerNode } from '../cluster-state.ts';
import { OAUTHBEARER_MECHANISM, bearerToken, verifyMskIamToken, type IamVerifierOptions } from './msk-iam.ts';
import { SCRAM_MECHANISM, SaslAuthenticationError, ScramServerSession, type ScramCredential } from './scram.ts';

export type ListenerKind = 'plaintext' | 'tls' | 'scram' | 'iam';
export const LISTENER_KINDS: readonly ListenerKind[] = ['plaintext', 'tls', 'scram', 'iam'];

/** Kafka's `listener.security.protocol.map` entries of the listeners. */
export const LISTENERS: Readonly<Record<ListenerKind, { name: string; protocol: string; mechanism?: string }>> = {
  plaintext: { name: 'PLAINTEXT', protocol: 'PLAINTEXT' },
  tls: { name: 'TLS', protocol: 'SSL' },
  scram: { name: 'SASL_SCRAM', protocol: 'SASL_SSL', mechanism: SCRAM_MECHANISM },
  iam: { name: 'SASL_IAM', protocol: 'SASL_SSL', mechanism: OAUTHBEARER_MECHANISM },
};

/** The port `node` listens on for `kind` (undefined: no such listener). */
export function listenerPort(node: BrokerNode, kind: ListenerKind): number | undefined {
  return kind === 'plaintext' ? node.port : node.ports?.[kind];
}

/** Credentials the SASL listeners check against (shared by every broker of a cluster). */
export interface SaslCredentials {
  /** SCRAM users (salted credentials only). */
  readonly scram: Map<string, ScramCredential>;
  readonly iam: IamVerifierOptions;
}

interface Authenticator {
  step(message: Buffer): Buffer;
  readonly done: boolean;
  readonly principal: string | undefined;
}

class IamAuthenticator implements Authenticator {
  principal: string | undefined;
  private readonly options: IamVerifierOptions;

  constructor(options: IamVerifierOptions) {
    this.options = options;
  }

  get done(): boolean {
    return this.principal !== undefined;
  }

  step(message: Buffer): Buffer {
    if (this.principal !== undefined)
      throw new SaslAuthenticationError('Unexpected OAUTHBEARER message after authentication');
    this.principal = verifyMskIamToken(bearerToken(message), this.options);
    return Buffer.alloc(0);
  }
}

/** The SASL state of one connection to a SASL listener. */
export class SaslSession {
  readonly mechanisms: readonly string[];
  mechanism: string | undefined;
  principal: string | undefined;
  private authenticator: Authenticator | undefined;
  private readonly credentials: SaslCredentials;

  constructor(kind: ListenerKind, credentials: SaslCredentials) {
    const mechanism = LISTENERS[kind].mechanism;
    this.mechanisms = mechanism === undefined ? [] : [mechanism];
    this.credentials = credentials;
  }

  get authenticated(): boolean {
    return this.principal !== undefined;
  }

  /** SaslHandshake: false when the mechanism is not enabled on this listener. */
  choose(mechanism: string): boolean {
    if (!this.mechanisms.includes(mechanism)) return false;
    this.mechanism = mechanism;
    this.authenticator =
      mechanism === SCRAM_MECHANISM
        ? new ScramServerSession((user) => this.credentials.scram.get(user))
        : new IamAuthenticator(this.credentials.iam);
    return true;
  }

  /** SaslAuthenticate: the server's answer; throws SaslAuthenticationError when refused. */
  step(message: Buffer): Buffer {
    const authenticator = this.authenticator;
    if (authenticator === undefined) throw new SaslAuthenticationError('SaslAuthenticate before SaslHandshake');
    const answer = authenticator.step(message);
    if (authenticator.done) this.principal = authenticator.principal;
    return answer;
  }
}
