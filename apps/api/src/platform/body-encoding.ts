import createError from '@fastify/error';
import type { AppInstance } from './app-instance.js';

/** A `content-encoding` the API does not decode (it reads identity bodies only). */
export const UnsupportedContentEncodingError = createError<[string]>(
  'API_UNSUPPORTED_CONTENT_ENCODING',
  'Content-Encoding %s is not supported; send the body uncompressed',
  415,
);

/** A `charset` other than UTF-8 (or its ASCII subset) on a request body. */
export const UnsupportedCharsetError = createError<[string]>(
  'API_UNSUPPORTED_CHARSET',
  'charset=%s is not supported; send the body as UTF-8',
  415,
);

const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/**
 * Refuses, before the body is read, request bodies the parsers would misread: compressed
 * ones (`content-encoding: gzip`, or any unknown coding) and non-UTF-8 charsets, which the
 * JSON parser would decode as UTF-8 and store with U+FFFD. Both are 415 problems.
 */
export function registerBodyEncodingGuard(app: AppInstance): void {
  // A callback hook: an async one costs a promise on every request, body or not.
  app.addHook('onRequest', (request, _reply, done) => {
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
      done(new UnsupportedContentEncodingError(encoding.slice(0, 40)));
      return;
    }
    const charset = charsetOf(request.headers['content-type']);
    if (charset !== undefined && !UTF8_CHARSETS.has(charset)) {
      done(new UnsupportedCharsetError(charset.slice(0, 40)));
      return;
    }
    done();
  });
}

function charsetOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match?.[1]?.toLowerCase();
}
