import { describe, expect, it } from 'vitest';
import { AdminUnauthenticatedError, adminTokenCheck } from './admin-token.js';

const TOKEN = 'a-long-enough-admin-token';

describe('adminTokenCheck', () => {
  it('accepts the configured token as a bearer credential', () => {
    expect(() => adminTokenCheck(TOKEN)(`Bearer ${TOKEN}`)).not.toThrow();
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Basic ${TOKEN}`],
    ['a wrong token of the same length', `Bearer ${TOKEN.replace('a', 'b')}`],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, 5)}`],
    ['the token with a suffix', `Bearer ${TOKEN}x`],
  ])('refuses %s with a 401 ADMIN_UNAUTHENTICATED', (_what, header) => {
    const check = adminTokenCheck(TOKEN);
    expect(() => check(header)).toThrow(AdminUnauthenticatedError);
    try {
      check(header);
    } catch (error) {
      expect(error).toMatchObject({ statusCode: 401, code: 'ADMIN_UNAUTHENTICATED' });
    }
  });

  it('refuses every call when no token is configured', () => {
    expect(() => adminTokenCheck(undefined)('Bearer anything')).toThrow(AdminUnauthenticatedError);
  });
});
