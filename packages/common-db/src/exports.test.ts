import { expect, it } from 'vitest';
import * as admin from './admin/index.js';
import * as backoff from './backoff.js';
import * as root from './index.js';
import * as testing from './testing/index.js';

// The public surface, pinned per entry point (runtime names; types ride along with them in the
// entry files): a new export is a deliberate change made here too.
it('@vsa/common-db exports what an application uses', () => {
  expect(Object.keys(root).sort()).toEqual([
    'ConnectionUnavailableError',
    'DatabaseError',
    'ForeignKeyViolationError',
    'QueryTimeoutError',
    'SerializationFailureError',
    'TransactionAbortedError',
    'TransactionTimeoutError',
    'UniqueViolationError',
    'applyMigrations',
    'createDatabase',
    'databaseOptionsFromSettings',
    'dbSettings',
    'sqlFragment',
    'sqlIdentifier',
    'sqlJoin',
    'withRetry',
  ]);
});

it('@vsa/common-db/admin exports the operator functions', () => {
  expect(Object.keys(admin).sort()).toEqual([
    'ConstraintViolationError',
    'DEFAULT_PGLITE_DATA_DIR',
    'MigrationFailedError',
    'PrismaNotConfiguredError',
    'TransactionClosedError',
    'compileSql',
    'createMigration',
    'defaultMigrationsDir',
    'diffMigrationsToSchema',
    'isRetryableTransactionError',
    'loadMigrations',
    'mapDatabaseError',
    'migrationChecksum',
    'migrationStatus',
    'quoteIdentifier',
  ]);
});

it('@vsa/common-db/backoff exports the shared backoff policy', () => {
  expect(Object.keys(backoff).sort()).toEqual([
    'DEFAULT_BACKOFF',
    'TRANSACTION_RETRY_BACKOFF',
    'backoffSchema',
    'delayFor',
    'resolveBackoff',
    'retryDelay',
  ]);
});

it('@vsa/common-db/testing exports the test helpers', () => {
  expect(Object.keys(testing).sort()).toEqual([
    'DEFAULT_TEST_POSTGRES_URL',
    'createTestDatabase',
    'createTestPostgresUrl',
    'pgliteTemplate',
    'testEngines',
  ]);
});
