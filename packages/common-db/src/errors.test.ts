import { describe, expect, it } from 'vitest';
import {
  ConnectionUnavailableError,
  ForeignKeyViolationError,
  isRetryableTransactionError,
  mapDatabaseError,
  NotFoundError,
  QueryTimeoutError,
  recordNotFound,
  SerializationFailureError,
  TransactionAbortedError,
  UniqueViolationError,
} from './errors.js';

describe('mapDatabaseError', () => {
  it('maps SQLSTATEs from pg errors with constraint details', () => {
    const unique = mapDatabaseError({
      code: '23505',
      constraint: 'users_email_key',
      table: 'users',
      detail: 'Key (email, "Tenant")=(a, b) already exists.',
    });
    expect(unique).toBeInstanceOf(UniqueViolationError);
    expect(unique).toMatchObject({
      code: 'VSA_DB_UNIQUE_VIOLATION',
      statusCode: 409,
      constraint: 'users_email_key',
      table: 'users',
      columns: ['email', 'Tenant'],
    });
    expect(mapDatabaseError({ code: '23503', constraint: 'fk' })).toMatchObject({
      code: 'VSA_DB_FOREIGN_KEY_VIOLATION',
      statusCode: 409,
    });
    expect(mapDatabaseError({ code: '40001' })).toMatchObject({
      code: 'VSA_DB_SERIALIZATION_FAILURE',
      statusCode: 503,
    });
    expect(mapDatabaseError({ code: '40P01' })).toBeInstanceOf(SerializationFailureError);
    const aborted = { code: '25P02', message: 'current transaction is aborted' };
    expect(mapDatabaseError(aborted)).toBeInstanceOf(TransactionAbortedError);
    expect(mapDatabaseError(aborted)).toMatchObject({
      code: 'VSA_DB_TRANSACTION_ABORTED',
      statusCode: 500,
      cause: aborted,
    });
    expect(isRetryableTransactionError(aborted)).toBe(false);
    expect(mapDatabaseError({ code: '57014', message: 'canceling statement' })).toBeInstanceOf(
      QueryTimeoutError,
    );
    expect(mapDatabaseError({ code: '57P01' })).toBeInstanceOf(ConnectionUnavailableError);
    expect(mapDatabaseError({ code: '08006' })).toMatchObject({
      code: 'VSA_DB_CONNECTION_UNAVAILABLE',
      statusCode: 503,
    });
    expect(mapDatabaseError({ code: 'ECONNREFUSED', message: 'connect' })).toBeInstanceOf(
      ConnectionUnavailableError,
    );
  });

  it('maps Prisma known request errors', () => {
    const p2002 = mapDatabaseError({
      code: 'P2002',
      meta: {
        modelName: 'User',
        driverAdapterError: { cause: { constraint: { fields: ['email'] } } },
      },
    });
    expect(p2002).toMatchObject({
      code: 'VSA_DB_UNIQUE_VIOLATION',
      columns: ['email'],
      table: 'User',
    });
    expect(mapDatabaseError({ code: 'P2002', meta: { target: ['a', 'b'] } })).toMatchObject({
      columns: ['a', 'b'],
    });
    expect(
      mapDatabaseError({
        code: 'P2003',
        meta: {
          driverAdapterError: {
            cause: { originalMessage: 'violates foreign key constraint "n_fk"' },
          },
        },
      }),
    ).toMatchObject({ constraint: 'n_fk' });
    expect(mapDatabaseError({ code: 'P2003' })).toBeInstanceOf(ForeignKeyViolationError);
    expect(mapDatabaseError({ code: 'P2025', meta: { cause: 'No record' } })).toBeInstanceOf(
      NotFoundError,
    );
    expect(mapDatabaseError({ code: 'P2034' })).toBeInstanceOf(SerializationFailureError);
    expect(mapDatabaseError({ code: 'P1001', message: 'unreachable' })).toBeInstanceOf(
      ConnectionUnavailableError,
    );
    expect(
      mapDatabaseError({
        code: 'P2010',
        meta: { driverAdapterError: { cause: { originalCode: '40001' } } },
      }),
    ).toBeInstanceOf(SerializationFailureError);
  });

  it('leaves unknown errors and non-objects untouched', () => {
    const plain = new Error('x');
    expect(mapDatabaseError(plain)).toBe(plain);
    expect(mapDatabaseError('x')).toBe('x');
    expect(mapDatabaseError({ code: '22P02' })).toEqual({ code: '22P02' });
    const mapped = recordNotFound();
    expect(mapDatabaseError(mapped)).toBe(mapped);
  });

  it('knows what is worth retrying', () => {
    expect(isRetryableTransactionError({ code: '40001' })).toBe(true);
    expect(isRetryableTransactionError({ code: 'P2034' })).toBe(true);
    expect(isRetryableTransactionError({ code: '23505' })).toBe(false);
  });
});
