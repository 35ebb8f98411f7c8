import { describe, expect, it } from 'vitest';
import * as concepts from './concepts.js';
import { ERROR_KINDS, HTTP_STATUS_BY_KIND } from './error-kind.js';
import { isVsaError, VsaError } from './vsa-error.js';

class OrderNotFoundError extends concepts.NotFoundError {
  constructor(id: string) {
    super('ORDERS_NOT_FOUND', `Order ${id} does not exist`, { details: { id } });
  }
}

describe('VsaError', () => {
  it('takes its status from its kind and keeps code, cause and details', () => {
    const cause = new Error('socket closed');
    const error = new VsaError({
      code: 'VSA_DB_CONNECTION_UNAVAILABLE',
      kind: 'unavailable',
      message: 'The database refused the connection; check DATABASE_URL',
      cause,
      details: { host: 'db' },
      retryAfterSeconds: 2,
    });
    expect(error).toMatchObject({
      name: 'VsaError',
      code: 'VSA_DB_CONNECTION_UNAVAILABLE',
      kind: 'unavailable',
      statusCode: 503,
      details: { host: 'db' },
      retryAfterSeconds: 2,
    });
    expect(error.cause).toBe(cause);
    expect(Object.isFrozen(error.details)).toBe(true);
  });

  it('has no cause property when none is given', () => {
    const error = new concepts.InternalError('VSA_X_BROKEN', 'broken');
    expect('cause' in error).toBe(false);
    expect(error.details).toBeUndefined();
  });

  it('names a subclass after itself and stays an instance of its concept', () => {
    const error = new OrderNotFoundError('o-1');
    expect(error.name).toBe('OrderNotFoundError');
    expect(error).toBeInstanceOf(concepts.NotFoundError);
    expect(error).toBeInstanceOf(VsaError);
    expect(error.statusCode).toBe(404);
    expect(error.details).toEqual({ id: 'o-1' });
  });

  it('has one concept class per kind, each with the status of its kind', () => {
    const kinds = Object.values(concepts).map((Concept) => new Concept('C', 'm').kind);
    expect([...kinds].sort()).toEqual([...ERROR_KINDS].sort());
    for (const Concept of Object.values(concepts)) {
      const error = new Concept('C', 'm');
      expect(error.statusCode).toBe(HTTP_STATUS_BY_KIND[error.kind]);
    }
  });
});

describe('isVsaError', () => {
  it('recognises instances and look-alikes from another copy of the package', () => {
    expect(isVsaError(new concepts.ConflictError('C', 'm'))).toBe(true);
    const copy = Object.assign(new Error('m'), { code: 'C', kind: 'conflict', statusCode: 409 });
    expect(isVsaError(copy)).toBe(true);
  });

  it('refuses plain errors, unknown kinds and non-errors', () => {
    expect(isVsaError(new Error('m'))).toBe(false);
    expect(
      isVsaError(Object.assign(new Error('m'), { code: 'C', kind: 'weird', statusCode: 500 })),
    ).toBe(false);
    expect(isVsaError({ code: 'C', kind: 'conflict', statusCode: 409 })).toBe(false);
    expect(isVsaError(undefined)).toBe(false);
  });
});
