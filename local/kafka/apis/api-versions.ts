/**
 * ApiVersions (key 18), v0-3. v3 is flexible: librdkafka and @platformatic/kafka send it first.
 * Whatever the version, the response header stays v0 (no tagged fields) so a client that asked
 * for too high a version can still read the UNSUPPORTED_VERSION answer and the ranges we support.
 */
import type { AnyApi, ApiDefinition } from '../protocol/api.ts';
import { array, field } from '../protocol/schema.ts';

export const API_VERSIONS_KEY = 18;

export const apiVersionsResponseFields = [
  field('errorCode', 'int16'),
  array('apiKeys', [field('apiKey', 'int16'), field('minVersion', 'int16'), field('maxVersion', 'int16')]),
  field('throttleTimeMs', 'int32', '1+'),
];

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
}

export function apiVersionsBody(errorCode: number, apis: readonly AnyApi[]): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: [...apis]
      .sort((a, b) => a.key - b.key)
      .map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion })),
  };
}

export function createApiVersionsApi(list: () => readonly AnyApi[]): ApiDefinition<unknown, ApiVersionsResponse> {
  return {
    key: API_VERSIONS_KEY,
    name: 'ApiVersions',
    minVersion: 0,
    maxVersion: 3,
    flexibleFrom: 3,
    request: [field('clientSoftwareName', 'string', '3+'), field('clientSoftwareVersion', 'string', '3+')],
    response: apiVersionsResponseFields,
    handle: () => apiVersionsBody(0, list()),
  };
}
