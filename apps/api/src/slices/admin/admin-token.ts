import { createHash, timingSafeEqual } from 'node:crypto';
import { UnauthenticatedError } from '@vsa/common-errors';

/** A bearer token check: throws {@link AdminUnauthenticatedError} unless the header carries the token. */
export type AdminTokenCheck = (authorization: string | undefined) => void;

/** Missing or wrong admin token: 401 with code ADMIN_UNAUTHENTICATED. */
export class AdminUnauthenticatedError extends UnauthenticatedError {
  constructor() {
    super(
      'ADMIN_UNAUTHENTICATED',
      'The admin routes need the ADMIN_TOKEN setting sent as "Authorization: Bearer <token>"',
    );
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Builds the check for `token` (undefined: no token configured, every call is refused).
 * Both sides are compared as SHA-256 digests, which have equal lengths, so
 * `timingSafeEqual` neither throws nor leaks the token's length through timing.
 */
export function adminTokenCheck(token: string | undefined): AdminTokenCheck {
  const expected = token === undefined ? undefined : digest(token);
  return (authorization) => {
    const match = /^Bearer ([^\s]+)$/i.exec(authorization ?? '');
    const given = match?.[1];
    if (expected === undefined || given === undefined) throw new AdminUnauthenticatedError();
    if (!timingSafeEqual(digest(given), expected)) throw new AdminUnauthenticatedError();
  };
}
