/**
 * `POST /pipelines/{id}/redrive` (AWS_IAM): the admin route of redrive.ts. Body (optional):
 * `{"dryRun": true}`. Answers 200 with the report; at most 25 objects are replayed per call
 * (`remainingObjects` says to call again), so the answer comes within API Gateway's 30 s.
 * 404 for an unknown pipeline, 409 for a connector-mode one, 400 for a bad body.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { requiredString } from '../lib/config.ts';
import { BadRequestError, HttpError } from '../lib/errors.ts';
import { errorResponse, json, type HttpResponse } from '../lib/http.ts';
import { logger, type Log } from '../lib/logger.ts';
import { PipelineNotFoundError } from '../pipelines/errors.ts';
import { isPipelineId, type PipelineStore } from '../pipelines/model.ts';
import { createDocumentClient, DynamoPipelineStore } from '../pipelines/registry.ts';
import { readSinkConfig } from './config.ts';
import { deliveryDeps } from './delivery-deps.ts';
import { redrivePipeline, type RedriveDeps } from './redrive.ts';

export const MAX_OBJECTS_PER_CALL = 25;

export interface RedriveRouteDeps {
  store: Pick<PipelineStore, 'get'>;
  redrive: RedriveDeps;
}

function dryRunOf(event: APIGatewayProxyEventV2): boolean {
  const raw =
    event.body === undefined
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  if (raw.trim() === '') return false;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new BadRequestError('the body must be a JSON object such as {"dryRun": true}');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new BadRequestError('the body must be a JSON object such as {"dryRun": true}');
  const { dryRun, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new BadRequestError(`unknown field '${unknown[0]}' (only dryRun)`);
  if (dryRun !== undefined && typeof dryRun !== 'boolean') throw new BadRequestError('dryRun must be true or false');
  return dryRun === true;
}

/** The route without Lambda wiring. */
export function createRedriveRoute(getDeps: () => RedriveRouteDeps, log: Log) {
  return async function redriveRoute(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    try {
      const id = event.pathParameters?.id ?? '';
      const dryRun = dryRunOf(event);
      if (!isPipelineId(id)) throw new PipelineNotFoundError(id);
      const deps = getDeps();
      const pipeline = await deps.store.get(id);
      if (!pipeline) throw new PipelineNotFoundError(id);
      if (pipeline.sink.mode !== 'lambda')
        throw new HttpError(
          409,
          `pipeline ${id} uses the ${pipeline.sink.mode} sink: redrive replays lambda-mode sinks only`,
        );
      const report = await redrivePipeline(
        { pipelineId: id, topic: pipeline.kafka.topic, mappingUuid: pipeline.resources.mappingUuid },
        { dryRun, maxObjects: MAX_OBJECTS_PER_CALL },
        deps.redrive,
      );
      return json(200, report);
    } catch (err) {
      const mapped = err instanceof PipelineNotFoundError ? new HttpError(404, err.message) : err;
      return errorResponse(mapped, log, event.requestContext?.requestId);
    }
  };
}

let container: RedriveRouteDeps | undefined;

function containerDeps(): RedriveRouteDeps {
  if (container) return container;
  const sink = readSinkConfig(process.env);
  container = {
    store: new DynamoPipelineStore({
      client: createDocumentClient(),
      tableName: requiredString(process.env, 'PIPELINES_TABLE'),
    }),
    redrive: { ...deliveryDeps(sink), bucket: sink.deadLetterBucket },
  };
  return container;
}

export const handler = middy(createRedriveRoute(containerDeps, logger)).use(injectLambdaContext(logger));
