/**
 * The shape of one supported Kafka API: its key, the version range the broker advertises, the
 * first flexible version, request/response schemas and the handler.
 */
import type { BrokerNode, ClusterState } from '../cluster-state.ts';
import type { ListenerKind, SaslSession } from '../security/listeners.ts';
import type { Field } from './schema.ts';

export interface RequestContext {
  readonly cluster: ClusterState;
  readonly broker: BrokerNode;
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
  /** The listener of this connection: Metadata and FindCoordinator advertise its ports. */
  readonly listener: ListenerKind;
  /** The connection's SASL state (SASL listeners only). */
  readonly sasl: SaslSession | null;
  /** Ends the connection after this response (failed authentication). */
  endConnection(): void;
  /** Registers cleanup for work parked on this connection (long-poll fetch); returns its remover. */
  onClose(callback: () => void): () => void;
}

/**
 * `handle` returns the response body, a promise of it (parked requests), or `undefined` when no
 * response must be sent (Produce with acks=0).
 */
export interface ApiDefinition<Req, Res> {
  readonly key: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** First flexible version (compact encodings, tagged fields); Infinity when none is supported. */
  readonly flexibleFrom: number;
  readonly request: readonly Field[];
  readonly response: readonly Field[];
  readonly handle: (ctx: RequestContext, request: Req) => Res | Promise<Res> | undefined;
}

export type AnyApi = ApiDefinition<never, unknown>;

export const NO_FLEXIBLE = Number.POSITIVE_INFINITY;
