/** The response side of AWS's JSON protocols: one definition for every service module. */
import type { AwsResponse } from './server.ts';

/** `Content-Type` of each protocol's answers. */
export const CONTENT_TYPE = {
  restJson: 'application/json',
  json10: 'application/x-amz-json-1.0',
  json11: 'application/x-amz-json-1.1',
} as const;

export function jsonResponse(body: unknown, contentType: string = CONTENT_TYPE.restJson, status = 200): AwsResponse {
  return { status, headers: { 'content-type': contentType }, body: JSON.stringify(body) };
}
