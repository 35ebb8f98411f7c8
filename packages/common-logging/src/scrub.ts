import { LoggingError } from './errors.js';

/** What a redacted value is replaced with. */
export const CENSOR = '[Redacted]';

const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]+)@/gi;

/**
 * Hides the password of every `scheme://user:password@host` in a string, keeping the rest:
 * `connect postgres://app:pw@db:5432/shop failed` → `connect postgres://app:***@db:5432/shop failed`.
 *
 * @throws {LoggingError} `VSA_LOGGING_INVALID_ARGUMENT` when `text` is not a string.
 */
export function scrubUrlCredentials(text: string): string {
  if (typeof text !== 'string') {
    throw new LoggingError(
      'VSA_LOGGING_INVALID_ARGUMENT',
      `scrubUrlCredentials() needs a string, got ${text === null ? 'null' : typeof text}`,
    );
  }
  // Cheap guard first: this runs on hot paths (every message, top-level strings).
  const scheme = text.indexOf('://');
  if (scheme === -1 || text.indexOf('@', scheme) === -1) return text;
  return text.replace(URL_CREDENTIALS, '$1$2:***@');
}

/** Key names whose values are censored at any depth, in their usual spellings. */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'apiKey',
  'credentials',
  'authorization',
  'cookie',
  'setCookie',
  'clientSecret',
  'privateKey',
];

/** `apiKey` → apiKey, apikey, api_key, API_KEY, api-key, ApiKey. */
function spellings(key: string): string[] {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
  const camel = words
    .map((word, i) => (i === 0 ? word : word[0]?.toUpperCase() + word.slice(1)))
    .join('');
  return [
    key,
    camel,
    camel[0]?.toUpperCase() + camel.slice(1),
    words.join(''),
    words.join('_'),
    words.join('_').toUpperCase(),
    words.join('-'),
  ];
}

/** A set holding every spelling of the given key names, for O(1) checks per key. */
export function keySet(keys: readonly string[]): ReadonlySet<string> {
  return new Set(keys.flatMap(spellings));
}

const MAX_DEPTH = 8;

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/**
 * Returns `value` with sensitive keys censored and URL credentials hidden, at any depth of
 * plain objects and arrays. Copy-on-write: the caller's object is never modified, and is
 * returned as is when nothing needed hiding. Class instances (errors, requests) are left to
 * their serializers.
 */
export function scrubValue<T>(value: T, keys: ReadonlySet<string>, depth = 0): T {
  if (typeof value === 'string') return scrubUrlCredentials(value) as T;
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH || !isPlain(value))
    return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = scrubValue(value[i], keys, depth + 1);
      if (next !== value[i]) {
        out ??= [...value];
        out[i] = next;
      }
    }
    return (out ?? value) as T;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // Objects that choose their printed form (settings objects hide secrets there) are
    // logged in that form; copying their fields would bypass it.
    return scrubValue(toJSON.call(value) as T, keys, depth + 1);
  }
  let out: Record<string, unknown> | undefined;
  const source = value as Record<string, unknown>;
  for (const key in source) {
    const current = source[key];
    const next =
      keys.has(key) && current !== undefined && current !== null
        ? CENSOR
        : scrubValue(current, keys, depth + 1);
    if (next !== current) {
      out ??= { ...source };
      out[key] = next;
    }
  }
  return (out ?? value) as T;
}

/**
 * {@link scrubValue} for the top level of a log call's fields, the hot path: primitives
 * other than strings are skipped without a call.
 */
export function scrubFields(
  fields: Record<string, unknown>,
  keys: ReadonlySet<string>,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    let next: unknown = value;
    if (keys.has(key)) {
      if (value !== undefined && value !== null) next = CENSOR;
    } else if (typeof value === 'string') {
      next = scrubUrlCredentials(value);
    } else if (typeof value === 'object' && value !== null) {
      next = scrubValue(value, keys, 1);
    }
    if (next !== value) {
      out ??= { ...fields };
      out[key] = next;
    }
  }
  return out ?? fields;
}
