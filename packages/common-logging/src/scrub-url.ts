import { LoggingError } from './errors.js';

/** What a secret inside a URL is replaced with (the rest of the URL stays readable). */
const MASK = '***';

// scheme://userinfo@ : the userinfo runs to the LAST `@` before the host (a password may hold
// `@`), never across `/ ? #`, whitespace, `"` or `\` (so it cannot span or break JSON strings:
// child bindings are scrubbed in their serialized form).
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"\\]*)@/gi;

// One `name=value` after `?`, `&` or `#` (OAuth implicit flow puts tokens in the fragment).
// The value ends where a URL cannot continue unencoded: `& #`, whitespace, `" < > \` or a
// backtick (the same JSON-safety as above).
const URL_PARAM = /([?&#])([^?&#=\s"<>`\\]+)=([^&#\s"<>`\\]*)/g;

/**
 * Parameter names whose values are hidden: the words of `@vsa/common-config`'s URL redaction
 * (a name containing `pass`, `secret`, `token`, `key`, `sig`, `auth` or `credential`: it
 * covers `access_token`, `id_token`, `refresh_token`, `api_key`, `apikey`, `key`,
 * `password`, `client_secret`, `signature`, `sig`, `X-Amz-Signature`, `X-Goog-Credential`),
 * plus `code` exactly (an OAuth authorization code). It errs on the side of hiding:
 * `keyword=` and `author=` are hidden too.
 */
export const SENSITIVE_URL_PARAM: RegExp = /pass|secret|token|key|sig|auth|credential|^code$/i;

function hideUserinfo(whole: string, scheme: string, userinfo: string): string {
  if (userinfo === '') return whole;
  const colon = userinfo.indexOf(':');
  // `user:password@` keeps the user; `token@` (user-only credentials) hides all of it.
  return colon === -1 ? `${scheme}${MASK}@` : `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
}

function hideParam(whole: string, separator: string, name: string, value: string): string {
  return value !== '' && value !== MASK && SENSITIVE_URL_PARAM.test(name)
    ? `${separator}${name}=${MASK}`
    : whole;
}

/**
 * Hides the credentials of every URL in a string, keeping the rest readable:
 *
 * - the secret part of the userinfo: `postgres://app:pw@db/shop` → `postgres://app:***@db/shop`
 *   (a password holding `@` included: the last `@` before the host ends it), and user-only
 *   credentials `https://TOKEN@host/x` → `https://***@host/x`;
 * - the values of sensitive query and fragment parameters, also in relative URLs:
 *   `/cb?code=abc&state=1` → `/cb?code=***&state=1`. A parameter is sensitive when its name
 *   contains `pass`, `secret`, `token`, `key`, `sig`, `auth` or `credential` (as in
 *   `@vsa/common-config`), or is exactly `code` (an OAuth authorization code).
 *
 * A string without `@` and `=` is returned after two `indexOf` scans, without a regex.
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
  return scrubUrls(text);
}

/** {@link scrubUrlCredentials} without the argument check, for the per-line paths. */
export function scrubUrls(text: string): string {
  // This runs on every message and string field: a URL secret needs an `@` (userinfo) or an
  // `=` (parameter), and single-character scans are the cheapest way to rule both out.
  const at = text.indexOf('@');
  const eq = text.indexOf('=');
  if (at === -1 && eq === -1) return text;
  let out = text;
  if (at !== -1 && text.indexOf('://') !== -1) out = out.replace(URL_USERINFO, hideUserinfo);
  if (eq !== -1) out = out.replace(URL_PARAM, hideParam);
  return out;
}
