const REDACTED = '[redacted]';
const MASK = '***';
const URL_LIKE = /^[a-z][a-z0-9+.-]*:\/\//i;
const SENSITIVE_PARAM = /pass|secret|token|key|sig|auth|credential/i;

/**
 * Redacts one secret value for printing. A URL keeps protocol, user, host, port and (except
 * for http/https, whose path may itself be the secret) the path, so
 * `postgres://app:pw@db:5432/shop` prints as `postgres://app:***@db:5432/shop`; anything
 * else prints as `[redacted]`.
 */
export function redactValue(value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (typeof value === 'string' && URL_LIKE.test(value)) return redactUrl(value);
  return REDACTED;
}

function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return REDACTED;
  }
  const web = url.protocol === 'http:' || url.protocol === 'https:';
  const user = url.username === '' ? '' : url.username;
  const auth = url.password !== '' ? `${user}:${MASK}@` : user !== '' ? `${user}@` : '';
  const path = web && url.pathname !== '/' && url.pathname !== '' ? `/${MASK}` : url.pathname;
  const params = [...url.searchParams].map(([key, val]) =>
    SENSITIVE_PARAM.test(key) || web ? `${key}=${MASK}` : `${key}=${val}`,
  );
  const search = params.length > 0 ? `?${params.join('&')}` : '';
  const hash = url.hash === '' ? '' : `#${MASK}`;
  return `${url.protocol}//${auth}${url.host}${path}${search}${hash}`;
}
