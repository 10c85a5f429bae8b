/**
 * SaslAuthenticate (key 36), v0-2 (flexible from 2): one SASL token per request. A refused
 * exchange answers SASL_AUTHENTICATION_FAILED with the reason in `errorMessage` and then closes
 * the connection, as Kafka does.
 */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { field } from '../protocol/schema.ts';
import { log } from '../logger.ts';
import { SaslAuthenticationError } from '../security/scram.ts';

interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export const saslAuthenticateApi: ApiDefinition<SaslAuthenticateRequest, Record<string, unknown>> = {
  key: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: 2,
  request: [field('authBytes', 'bytes')],
  response: [
    field('errorCode', 'int16'),
    field('errorMessage', 'string'),
    field('authBytes', 'bytes'),
    field('sessionLifetimeMs', 'int64', '1+'),
  ],
  handle(ctx, req) {
    const sasl = ctx.sasl;
    const refuse = (errorCode: number, errorMessage: string): Record<string, unknown> => {
      ctx.endConnection();
      return { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0 };
    };
    if (sasl === null || sasl.mechanism === undefined)
      return refuse(ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate without a successful SaslHandshake');
    if (sasl.authenticated) return refuse(ErrorCode.ILLEGAL_SASL_STATE, 'Already authenticated');
    try {
      const authBytes = sasl.step(req.authBytes ?? Buffer.alloc(0));
      if (sasl.authenticated)
        log.debug('SASL authenticated', {
          mechanism: sasl.mechanism,
          principal: sasl.principal,
          clientId: ctx.clientId,
        });
      return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes, sessionLifetimeMs: 0 };
    } catch (error) {
      if (!(error instanceof SaslAuthenticationError)) throw error;
      log.info('SASL authentication failed', {
        mechanism: sasl.mechanism,
        listener: ctx.listener,
        clientHost: ctx.clientHost,
        reason: error.message,
      });
      return refuse(ErrorCode.SASL_AUTHENTICATION_FAILED, error.message);
    }
  },
};
