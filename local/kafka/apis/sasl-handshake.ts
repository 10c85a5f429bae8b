/**
 * SaslHandshake (key 17), v0-1: the client names its mechanism, the broker answers with the
 * mechanisms the listener enables. v0 is advertised because librdkafka only enables SASL when the
 * range includes it, but every current client (kafkajs, librdkafka, @platformatic/kafka) sends
 * v1 and then SaslAuthenticate; the unframed tokens that follow a v0 handshake are not supported
 * (they do not parse as a request, so the connection is closed).
 */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';

interface SaslHandshakeRequest {
  mechanism: string;
}

export const saslHandshakeApi: ApiDefinition<SaslHandshakeRequest, Record<string, unknown>> = {
  key: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [field('mechanism', 'string')],
  response: [field('errorCode', 'int16'), array('mechanisms', 'string')],
  handle(ctx, req) {
    const sasl = ctx.sasl;
    if (sasl === null) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [] };
    if (sasl.mechanism !== undefined) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: sasl.mechanisms };
    return {
      errorCode: sasl.choose(req.mechanism) ? ErrorCode.NONE : ErrorCode.UNSUPPORTED_SASL_MECHANISM,
      mechanisms: sasl.mechanisms,
    };
  },
};
