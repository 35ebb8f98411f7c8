/**
 * The default sensitive words, in normalized form (lowercase, without `-`, `_`, `.` or spaces).
 * A key is censored when its normalized name **ends with** one of them: `password`,
 * `dbPassword`, `DB_PASSWORD`, `sessionToken`, `x-api-key`, `clientSecret`, `privateKey`,
 * `cookies`, `Set-Cookie`, `proxy-authorization`. Ending, not containing, keeps counters and
 * settings about secrets readable: `tokenCount`, `passwordPolicy`, `secretName`, `cookieName`
 * are logged as they are.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'password',
  'passwords',
  'passwd',
  'passphrase',
  'secret',
  'secrets',
  'token',
  'jwt',
  'apikey',
  'apikeys',
  'accesskey',
  'secretkey',
  'privatekey',
  'authorization',
  'cookie',
  'cookies',
  'credential',
  'credentials',
];

/** Decides whether a key's value must be censored. A `Set` of exact names also fits. */
export interface SensitiveKeys {
  has(key: string): boolean;
}

const SEPARATORS = /[-_.\s]/g;

/** `X-Api-Key`, `api_key`, `API.KEY`, `apiKey` → `apikey`. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(SEPARATORS, '');
}

// Distinct key names seen by one logger stay few (field names are code, not data); the bound
// only protects against objects keyed by ids. Clearing is cheaper than tracking age.
const MAX_CACHED = 2000;

/**
 * The key rule of the logger: a key is sensitive when its normalized name ends with one of
 * {@link DEFAULT_REDACT_KEYS} or equals one of `extra` normalized (`redactKeys: ['iban']`
 * censors `iban`, `IBAN`, `Iban`, `i_ban`, not `bankIban`). Answers are cached per key name,
 * so the per-line cost is one map lookup per field.
 */
export function sensitiveKeys(extra: Iterable<string> = []): SensitiveKeys {
  return new SuffixKeys(extra);
}

/**
 * Two Sets of names already decided: the common case (a harmless field name seen before) is
 * one native `Set.has`, as cheap as the exact-name Set this replaced; a Map of booleans behind
 * a closure cost ~3x that per field on the logging hot path.
 */
class SuffixKeys implements SensitiveKeys {
  readonly #exact = new Set<string>();
  readonly #safe = new Set<string>();
  readonly #sensitive = new Set<string>();

  constructor(extra: Iterable<string>) {
    for (const key of extra) this.#exact.add(normalizeKey(key));
  }

  has(key: string): boolean {
    if (this.#safe.has(key)) return false;
    if (this.#sensitive.has(key)) return true;
    return this.#learn(key);
  }

  #learn(key: string): boolean {
    const name = normalizeKey(key);
    let hit = this.#exact.has(name);
    for (const word of DEFAULT_REDACT_KEYS) if (!hit && name.endsWith(word)) hit = true;
    const seen = hit ? this.#sensitive : this.#safe;
    if (seen.size >= MAX_CACHED) seen.clear();
    seen.add(key);
    return hit;
  }
}
