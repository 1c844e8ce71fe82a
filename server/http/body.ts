/**
 * Reads a request body of the two kinds the API takes: an HTML-style form
 * (application/x-www-form-urlencoded, what vmango 0.6 took) or a JSON document.
 * Problems come back as HttpErrors that say what was wrong and what is allowed.
 */
import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from './http-error.js';

export const MAX_BODY_BYTES = 256 * 1024;

export type ParsedBody =
  /** Fields in the order sent; a repeated name appears once per value. */
  { kind: 'form'; fields: [name: string, value: string][] } | { kind: 'json'; value: unknown };

const FORM_TYPE = 'application/x-www-form-urlencoded';
const ALLOWED_TYPES = `${FORM_TYPE} or application/json`;

/** Middleware: reads and parses the body into `req.body` (a ParsedBody). An empty body is an empty form. */
export function readBody(options: { limitBytes?: number } = {}): RequestHandler {
  const limitBytes = options.limitBytes ?? MAX_BODY_BYTES;
  const readRaw = express.raw({ type: () => true, limit: limitBytes });
  return (req, res, next) => {
    readRaw(req, res, (err?: unknown) => {
      if (err) {
        next(describeReadError(err, limitBytes));
        return;
      }
      try {
        req.body = parseBody(req, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
        next();
      } catch (parseErr) {
        next(parseErr);
      }
    });
  };
}

/** Interprets raw body bytes by the request's Content-Type. */
export function parseBody(req: Pick<Request, 'headers'>, raw: Buffer): ParsedBody {
  const contentType = req.headers['content-type'];
  if (contentType === undefined || contentType.trim() === '') {
    if (raw.length === 0) return { kind: 'form', fields: [] };
    throw new HttpError(415, `the request has a body but no Content-Type; send ${ALLOWED_TYPES}`);
  }
  const { mediaType, charset } = splitContentType(contentType);
  if (charset !== undefined && !/^(utf-8|utf8|us-ascii)$/i.test(charset)) {
    throw new HttpError(415, `charset "${charset}" is not supported; send the body as UTF-8`);
  }
  if (mediaType === FORM_TYPE) {
    return { kind: 'form', fields: [...new URLSearchParams(decodeUtf8(raw, 'form'))] };
  }
  if (mediaType === 'application/json' || /^application\/[^/]+\+json$/.test(mediaType)) {
    const text = decodeUtf8(raw, 'JSON document');
    try {
      return { kind: 'json', value: JSON.parse(text) };
    } catch (err) {
      throw new HttpError(400, `the request body is not valid JSON: ${(err as Error).message}`);
    }
  }
  throw new HttpError(415, `Content-Type "${mediaType.slice(0, 100)}" is not supported; send ${ALLOWED_TYPES}`);
}

function splitContentType(value: string): { mediaType: string; charset?: string } {
  const [type = '', ...params] = value.split(';');
  let charset: string | undefined;
  for (const param of params) {
    const match = /^\s*charset\s*=\s*"?([^";\s]*)"?\s*$/i.exec(param);
    if (match) charset = match[1];
  }
  return { mediaType: type.trim().toLowerCase(), charset };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

function decodeUtf8(raw: Buffer, what: string): string {
  try {
    return strictUtf8.decode(raw);
  } catch {
    throw new HttpError(400, `the request body (a ${what}) is not valid UTF-8`);
  }
}

interface BodyParserError {
  type?: string;
  status?: number;
}

function describeReadError(err: unknown, limitBytes: number): HttpError {
  const { type, status } = (err ?? {}) as BodyParserError;
  switch (type) {
    case 'entity.too.large':
      return new HttpError(413, `the request body is larger than ${formatSize(limitBytes)}, the most the API accepts`);
    case 'encoding.unsupported':
      return new HttpError(
        415,
        "the request body's Content-Encoding is not supported; send it uncompressed, or as gzip, deflate or br",
      );
    case 'request.aborted':
      return new HttpError(400, 'the request body ended before its declared length (the client aborted)');
    case 'request.size.invalid':
      return new HttpError(400, 'the request body is not as long as its Content-Length says');
    default:
      return new HttpError(
        typeof status === 'number' && status >= 400 && status < 500 ? status : 400,
        'the request body could not be read',
      );
  }
}

function formatSize(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} bytes`;
}
