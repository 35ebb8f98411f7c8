import { scrubUrls } from './scrub-url.js';
import type { SensitiveKeys } from './sensitive-keys.js';

/** What a redacted value is replaced with. */
export const CENSOR = '[Redacted]';

const MAX_DEPTH = 8;

/** Plain objects and arrays: the values the scrubber copies; class instances are not. */
export function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/**
 * Returns `value` with sensitive keys censored and URL credentials hidden, at any depth of
 * plain objects and arrays. Copy-on-write: the caller's object is never modified, and is
 * returned as is when nothing needed hiding. Class instances (errors, requests) are left to
 * their serializers.
 */
export function scrubValue<T>(value: T, keys: SensitiveKeys, depth = 0): T {
  if (typeof value === 'string') return scrubUrls(value) as T;
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
  keys: SensitiveKeys,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const key in fields) {
    const value = fields[key];
    let next: unknown = value;
    if (keys.has(key)) {
      if (value !== undefined && value !== null) next = CENSOR;
    } else if (typeof value === 'string') {
      next = scrubUrls(value);
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
