import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per function bundle. The service name comes from
 * POWERTOOLS_SERVICE_NAME (set per function in serverless.yml); the level from
 * POWERTOOLS_LOG_LEVEL (tests set it to SILENT to keep output readable).
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'clickstream-pipeline',
});

/**
 * The logging port cores accept, so they can be tested without Powertools. The rest parameter
 * keeps the Powertools Logger (whose extra input is a tuple union) assignable to it.
 */
export interface Log {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** A Log that drops everything: the default of cores whose caller passes none. */
export const silentLog: Log = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
