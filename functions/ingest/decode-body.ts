import { isUtf8 } from 'node:buffer';
import { gunzipSync } from 'node:zlib';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '../lib/errors.ts';
import { shown } from '../lib/shown.ts';
import { limits, utf8BytesOver } from './limits.ts';

export interface RawBody {
  body: string | undefined;
  isBase64Encoded: boolean;
  /** `compression` query parameter (Clickstream SDK convention: `gzip`). */
  compression: string | undefined;
  /** `Content-Encoding` request header. */
  contentEncoding: string | undefined;
}

const BASE64 = /^[A-Za-z0-9+/\r\n]*={0,2}\s*$/;

/** Bytes of a base64 text without decoding it, so oversized bodies are refused before any copy. */
function base64Bytes(text: string): number {
  let len = text.length;
  while (len > 0 && (text[len - 1] === '=' || text[len - 1] === '\n' || text[len - 1] === '\r')) len--;
  return Math.floor((len * 3) / 4);
}

function decodeBase64(text: string, what: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length === 0 || !BASE64.test(trimmed)) throw new BadRequestError(`${what} is not valid base64`);
  return Buffer.from(trimmed, 'base64');
}

function gunzip(data: Buffer, what: string): Buffer {
  try {
    return gunzipSync(data, { maxOutputLength: limits.maxDecompressedBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new PayloadTooLargeError(`${what} decompresses to more than ${limits.maxDecompressedBytes} bytes`);
    }
    throw new BadRequestError(`${what} is not valid gzip data`);
  }
}

function tooLarge(bytes: number): never {
  throw new PayloadTooLargeError(`request body is ${bytes} bytes; the limit is ${limits.maxBodyBytes} bytes`);
}

/**
 * Turns the HTTP body into JSON text, undoing every transport layer it may have:
 * API Gateway's base64 (`isBase64Encoded`), `Content-Encoding: gzip`, and the Clickstream SDK's
 * `compression=gzip` (base64 text of gzipped JSON). Size bounds are checked before each expansion.
 */
export function decodeBody(raw: RawBody): string {
  const encoding = raw.contentEncoding?.trim().toLowerCase();
  if (encoding && encoding !== 'gzip' && encoding !== 'identity') {
    throw new UnsupportedMediaTypeError(
      `Content-Encoding ${shown(raw.contentEncoding)} is not supported; use gzip or identity`,
    );
  }
  const compression = raw.compression?.trim().toLowerCase();
  if (compression && compression !== 'gzip') {
    throw new BadRequestError(`query parameter compression=${shown(raw.compression)} is not supported; use gzip`);
  }
  if (raw.body === undefined || raw.body.length === 0) throw new BadRequestError('request body is empty');

  if (!raw.isBase64Encoded) {
    // A string body is text already. A lone UTF-16 surrogate has no UTF-8 form: encoding it
    // would store U+FFFD instead of what was sent, so it is refused.
    if (!raw.body.isWellFormed()) throw new BadRequestError('request body is not valid UTF-8 text (a lone surrogate)');
    if (encoding !== 'gzip' && compression !== 'gzip') {
      // Returned as it is, instead of encoding, checking and decoding it again (~12% of the core).
      const size = utf8BytesOver(raw.body, limits.maxBodyBytes);
      if (size !== undefined) tooLarge(size);
      return raw.body;
    }
  }

  let data: Buffer;
  if (raw.isBase64Encoded) {
    const size = base64Bytes(raw.body);
    if (size > limits.maxBodyBytes) tooLarge(size);
    data = decodeBase64(raw.body, 'request body');
  } else {
    data = Buffer.from(raw.body, 'utf8');
    if (data.length > limits.maxBodyBytes) tooLarge(data.length);
  }

  if (encoding === 'gzip') data = gunzip(data, 'gzip request body');
  if (compression === 'gzip') {
    const text = data.toString('latin1');
    if (base64Bytes(text.trim()) > limits.maxBodyBytes) tooLarge(base64Bytes(text.trim()));
    data = gunzip(decodeBase64(text, 'compression=gzip body'), 'compression=gzip body');
  }
  if (data.length > limits.maxDecompressedBytes) {
    throw new PayloadTooLargeError(`request body decompresses to more than ${limits.maxDecompressedBytes} bytes`);
  }
  if (!isUtf8(data)) throw new BadRequestError('request body is not valid UTF-8 text');
  return data.toString('utf8');
}
