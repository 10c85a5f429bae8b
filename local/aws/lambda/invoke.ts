/**
 * Lambda `Invoke` (`POST /2015-03-31/functions/{FunctionName}/invocations`) over the stack's
 * in-process `invoke` callback, answering as the Lambda service does:
 * - success: 200, the JSON of the returned value as the payload, `X-Amz-Executed-Version: $LATEST`;
 * - the handler threw: still 200, with `X-Amz-Function-Error: Unhandled` and the Node.js
 *   runtime's error document `{"errorType": error.name, "errorMessage": error.message,
 *   "trace": stack lines}`, so Step Functions (and callers) see the error's `name`;
 * - the handler outlived the function timeout: `Unhandled` with `errorType` `Sandbox.Timedout`.
 * `InvocationType: Event` answers 202 and runs the function in the background, `DryRun` 204.
 * The same `invokeLocalFunction` serves the local Step Functions' Lambda tasks.
 */
import { createLambdaContext } from '../../lambda-context.ts';
import { AwsError } from '../errors.ts';
import { log } from '../logger.ts';
import { resolveFunction } from './mappings.ts';
import type { InvokeFunction } from './poller.ts';

/** Lambda's synchronous payload limit, request and response (6 MB). */
export const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

export interface InvokeDeps {
  invoke: InvokeFunction | undefined;
  /** Known functions and their timeouts (when given, other names do not exist). */
  functions: Record<string, { timeoutSeconds?: number; memorySize?: number }> | undefined;
  region: string;
  accountId: string;
}

export interface LocalInvokeResult {
  /** The function's name (from a name, an ARN or a partial ARN). */
  functionName: string;
  functionArn: string;
  /** The response payload, as Lambda returns it (JSON text). */
  payload: string;
  /** `Unhandled` when the function failed. */
  functionError: 'Unhandled' | undefined;
}

/** The Node.js runtime's error document for a thrown value. */
export function errorDocument(error: unknown): { errorType: string; errorMessage: string; trace: string[] } {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n').filter((line) => line !== ''),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

class LocalTimeoutError extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/**
 * Runs a function with an event and returns what Lambda's Invoke would: the payload text and
 * whether the function failed. Service errors (unknown function, no invoke callback) throw
 * AwsError with Lambda's codes.
 */
export async function invokeLocalFunction(
  deps: InvokeDeps,
  nameOrArn: string,
  event: unknown,
): Promise<LocalInvokeResult> {
  const ref = resolveFunction(nameOrArn, deps.region, deps.accountId, 'functionName');
  if (deps.functions && !Object.hasOwn(deps.functions, ref.name)) {
    throw new AwsError('ResourceNotFoundException', `Function not found: ${ref.arn}`, 404);
  }
  if (!deps.invoke) {
    throw new AwsError('ServiceException', 'The local endpoint was started without an invoke function', 500);
  }
  const settings = deps.functions?.[ref.name] ?? {};
  const timeoutSeconds = settings.timeoutSeconds ?? 60;
  const context = createLambdaContext({
    functionName: ref.name,
    functionArn: ref.arn,
    timeoutMs: timeoutSeconds * 1000,
    ...(settings.memorySize !== undefined ? { memoryMb: settings.memorySize } : {}),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LocalTimeoutError(timeoutSeconds)), timeoutSeconds * 1000);
  });
  const invoke = deps.invoke;
  try {
    const invocation = Promise.resolve().then(() => invoke(ref.name, event, context));
    invocation.catch(() => undefined); // a timed-out invocation may still reject later
    const result = await Promise.race([invocation, timeout]);
    const payload = result === undefined ? 'null' : JSON.stringify(result);
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      const doc = {
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_PAYLOAD_BYTES} bytes).`,
      };
      return {
        functionName: ref.name,
        functionArn: ref.arn,
        payload: JSON.stringify(doc),
        functionError: 'Unhandled',
      };
    }
    return { functionName: ref.name, functionArn: ref.arn, payload, functionError: undefined };
  } catch (error) {
    const doc = errorDocument(error);
    if (error instanceof LocalTimeoutError) {
      doc.errorMessage = `${new Date().toISOString()} ${context.awsRequestId} ${doc.errorMessage}`;
      doc.trace = [];
    }
    log.debug('function failed', {
      functionName: ref.name,
      errorType: doc.errorType,
      errorMessage: doc.errorMessage,
    });
    return {
      functionName: ref.name,
      functionArn: ref.arn,
      payload: JSON.stringify(doc),
      functionError: 'Unhandled',
    };
  } finally {
    clearTimeout(timer);
  }
}

const INVOCATIONS = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** The function name of an Invoke path, or undefined when the path is not Invoke's. */
export function invokePathFunction(path: string): string | undefined {
  const match = INVOCATIONS.exec(path);
  return match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
}

export interface InvokeHttpRequest {
  functionName: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function header(headers: InvokeHttpRequest['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The HTTP side of Invoke: status, headers and payload. */
export async function handleInvoke(
  deps: InvokeDeps,
  request: InvokeHttpRequest,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  if (request.body.length > MAX_PAYLOAD_BYTES) {
    throw new AwsError(
      'RequestTooLargeException',
      `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      413,
    );
  }
  let event: unknown = {};
  if (request.body.length > 0) {
    try {
      event = JSON.parse(request.body.toString('utf8'));
    } catch {
      throw new AwsError(
        'InvalidRequestContentException',
        'Could not parse request body into json: Could not parse payload into json',
        400,
      );
    }
  }
  const type = header(request.headers, 'x-amz-invocation-type') ?? 'RequestResponse';
  if (!['RequestResponse', 'Event', 'DryRun'].includes(type)) {
    throw new AwsError('InvalidParameterValueException', `Unsupported invocation type: ${type}`, 400);
  }
  const base = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
  if (type === 'DryRun') {
    const ref = resolveFunction(request.functionName, deps.region, deps.accountId);
    if (deps.functions && !Object.hasOwn(deps.functions, ref.name))
      throw new AwsError('ResourceNotFoundException', `Function not found: ${ref.arn}`, 404);
    return { status: 204, headers: base, body: '' };
  }
  if (type === 'Event') {
    const ref = resolveFunction(request.functionName, deps.region, deps.accountId);
    if (deps.functions && !Object.hasOwn(deps.functions, ref.name))
      throw new AwsError('ResourceNotFoundException', `Function not found: ${ref.arn}`, 404);
    invokeLocalFunction(deps, request.functionName, event).then(
      (result) => {
        if (result.functionError)
          log.warn('asynchronous invocation failed', {
            functionName: result.functionName,
            payload: result.payload,
          });
      },
      (error: unknown) =>
        log.warn('asynchronous invocation failed', {
          error: error instanceof Error ? error.message : String(error),
        }),
    );
    return { status: 202, headers: {}, body: '' };
  }
  const result = await invokeLocalFunction(deps, request.functionName, event);
  return {
    status: 200,
    headers: result.functionError ? { ...base, 'x-amz-function-error': result.functionError } : base,
    body: result.payload,
  };
}
