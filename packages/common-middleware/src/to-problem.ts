import { STATUS_CODES } from 'node:http';
import { inspect } from 'node:util';
import { isVsaError } from '@vsa/common-errors';
import { isFastifyError } from './http-errors.js';
import type { ProblemDetails, ProblemFieldError } from './problem-details.js';

/** Settings the mapping needs, already validated by the plugin. @internal */
export interface ProblemSettings {
  readonly typeBaseUrl: string;
  readonly exposeInternalErrors: boolean;
  readonly maxDetailLength: number;
  readonly retryAfterSeconds: number;
}

/** The request facts a problem needs. @internal */
export interface ProblemRequest {
  readonly id: string;
  readonly url: string;
  /** Status the reply already had when the error arrived (Fastify honors a 4xx/5xx set before). */
  readonly replyStatus?: number;
}

/** Everything the plugin sends and logs for one failure. @internal */
export interface ResolvedProblem {
  readonly status: number;
  readonly body: ProblemDetails;
  readonly headers: Readonly<Record<string, string>>;
  readonly logLevel: 'info' | 'warn' | 'error';
  /** What goes under pino's `err` key (stack, cause chain): server errors only. */
  readonly logErr: unknown;
  /** Logged under `problem` for every failure: status, code, error name, message; no stack. */
  readonly logSummary: Readonly<Record<string, unknown>>;
}

const CODE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/;
const CONTEXT_PATTERN = /^[a-z]{1,32}$/i;
const MAX_FIELD_ERRORS = 100;
const MAX_INSTANCE_LENGTH = 2048;
// Headers an error may ask for; anything else (content-*, set-cookie, ...) is ignored.
const ERROR_HEADER_ALLOWLIST = new Set([
  'retry-after',
  'www-authenticate',
  'proxy-authenticate',
  'allow',
  'link',
]);

/**
 * Maps any thrown value to the problem to send. Never throws: every property read is
 * guarded, because thrown values can be proxies, frozen oddities or objects with getters.
 * @internal
 */
export function toProblem(
  thrown: unknown,
  request: ProblemRequest,
  settings: ProblemSettings,
): ResolvedProblem {
  const code = readString(thrown, 'code');
  // The error's own statusCode is the only mapping (VsaError: from its kind; Fastify's and
  // @fastify/error's: declared with the code): no second code-to-status table to drift.
  const status =
    validStatus(read(thrown, 'statusCode')) ??
    validStatus(read(thrown, 'status')) ??
    validStatus(request.replyStatus) ??
    500;
  const title = STATUS_CODES[status] ?? 'Error';
  const serverError = status >= 500;
  // 4xx messages are written for the client. A 5xx message reaches the body only when the app
  // turned exposeInternalErrors on: an `expose` flag on the thrown value cannot override that,
  // because any object (a driver's error, a plain object) can carry one.
  const expose = !serverError || settings.exposeInternalErrors;
  const publicCode =
    code !== undefined &&
    CODE_PATTERN.test(code) &&
    (expose || isVsaError(thrown) || isFastifyError(thrown) || code.startsWith('VSA_'))
      ? code
      : undefined;

  const errors = status === 400 ? fieldErrors(thrown) : undefined;
  const message = readString(thrown, 'message');
  let detail: string;
  if (errors !== undefined) {
    const context = readString(thrown, 'validationContext') ?? 'input';
    detail = `Request ${CONTEXT_PATTERN.test(context) ? context : 'input'} failed validation`;
  } else if (expose && message !== undefined && message.trim() !== '') {
    detail = truncate(message, settings.maxDetailLength);
  } else if (serverError) {
    detail = `The server could not complete the request. Quote requestId ${request.id} when reporting it.`;
  } else {
    detail = title;
  }

  const headers: Record<string, string> = { ...errorHeaders(thrown) };
  const retryAfter =
    retryAfterSeconds(read(thrown, 'retryAfterSeconds')) ??
    retryAfterSeconds(read(thrown, 'retryAfter'));
  if (retryAfter !== undefined && (status === 429 || status === 503)) {
    headers['retry-after'] = String(retryAfter);
  } else if (status === 503 && headers['retry-after'] === undefined) {
    headers['retry-after'] = String(settings.retryAfterSeconds);
  }

  const body: ProblemDetails = {
    type: publicCode === undefined ? 'about:blank' : settings.typeBaseUrl + kebab(publicCode),
    title,
    status,
    detail,
    instance: instancePath(request.url),
    ...(publicCode === undefined ? {} : { code: publicCode }),
    requestId: request.id,
    ...(errors === undefined ? {} : { errors }),
  };

  return {
    status,
    body,
    headers,
    logLevel: serverError ? 'error' : status === 429 ? 'warn' : 'info',
    logErr: serverError ? loggableError(thrown) : undefined,
    logSummary: {
      status,
      code,
      name: readString(thrown, 'name') ?? typeof thrown,
      message: message === undefined ? undefined : truncate(message, settings.maxDetailLength),
      ...(errors === undefined ? {} : { errors }),
    },
  };
}

/** Kebab-case of an error code, for the problem `type` URI. @internal */
export function kebab(code: string): string {
  return code
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .toLowerCase();
}

function read(value: unknown, key: string): unknown {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return undefined;
  }
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function readString(value: unknown, key: string): string | undefined {
  const out = read(value, key);
  return typeof out === 'string' ? out : undefined;
}

// Only real integers in the error range count: '404', 99, 1e9 and NaN fall through to 500.
function validStatus(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value >= 400 && value <= 599
    ? value
    : undefined;
}

function retryAfterSeconds(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) {
    return Math.min(Math.ceil(value), 86_400);
  }
  return undefined;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (truncated)`;
}

function instancePath(url: string): string {
  const path = url.split('?', 1)[0] ?? '';
  return truncate(path, MAX_INSTANCE_LENGTH);
}

function errorHeaders(thrown: unknown): Record<string, string> {
  const headers = read(thrown, 'headers');
  const out: Record<string, string> = {};
  if (typeof headers !== 'object' || headers === null) return out;
  try {
    for (const [name, value] of Object.entries(headers)) {
      const key = name.toLowerCase();
      if (!ERROR_HEADER_ALLOWLIST.has(key)) continue;
      if (typeof value !== 'string' && typeof value !== 'number') continue;
      const text = String(value);
      // Reject values Node would refuse in writeHead (CR, LF, other control characters).
      if (text.length > 1024 || /[^\t\x20-\x7e]/.test(text)) continue;
      out[key] = text;
    }
  } catch {
    // A hostile `headers` object: ignore it.
  }
  return out;
}

function fieldErrors(thrown: unknown): ProblemFieldError[] | undefined {
  const validation = read(thrown, 'validation');
  if (!Array.isArray(validation)) return undefined;
  const contextName = readString(thrown, 'validationContext');
  const context =
    contextName !== undefined && CONTEXT_PATTERN.test(contextName) ? contextName : 'body';
  const out: ProblemFieldError[] = [];
  for (const issue of validation.slice(0, MAX_FIELD_ERRORS)) {
    let path = readString(issue, 'instancePath') ?? '';
    if (path === '/') path = ''; // zod reports issues on the whole value as '/'
    const params = read(issue, 'params');
    // ajv points `required` and `additionalProperties` at the parent object; name the field.
    const property =
      readString(params, 'missingProperty') ?? readString(params, 'additionalProperty');
    if (property !== undefined) path = `${path}/${escapePointer(property)}`;
    out.push({
      pointer: `/${context}${path}`,
      detail: truncate(readString(issue, 'message') ?? 'is invalid', 500),
    });
  }
  return out;
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

// pino's `err` serializer wants an Error; wrap anything else and keep a bounded description.
function loggableError(thrown: unknown): unknown {
  try {
    if (thrown instanceof Error) return thrown;
  } catch {
    // A proxy whose getPrototypeOf trap throws: describe it below.
  }
  const wrapped = new Error(`Non-error value thrown: ${describe(thrown)}`);
  wrapped.name = 'NonErrorThrown';
  return wrapped;
}

function describe(value: unknown): string {
  try {
    return inspect(value, {
      depth: 3,
      breakLength: Number.POSITIVE_INFINITY,
      maxStringLength: 2000,
      maxArrayLength: 20,
    });
  } catch {
    return `[${typeof value}]`;
  }
}
