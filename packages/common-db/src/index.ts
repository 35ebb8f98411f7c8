// What an application uses: open a database, run transactions and SQL, read its settings,
// apply migrations at start-up, and the errors worth catching. Operator functions and the less
// common types are in `@vsa/common-db/admin`, the backoff policy in `@vsa/common-db/backoff`,
// test helpers in `@vsa/common-db/testing`.
export {
  type CreateDatabaseOptions,
  createDatabase,
  type PrismaClientConstructor,
} from './create-database.js';
export { type DbSettings, databaseOptionsFromSettings, dbSettings } from './db-settings.js';
export {
  ConnectionUnavailableError,
  DatabaseError,
  ForeignKeyViolationError,
  QueryTimeoutError,
  SerializationFailureError,
  TransactionAbortedError,
  TransactionTimeoutError,
  UniqueViolationError,
} from './errors.js';
export {
  type ApplyMigrationsResult,
  applyMigrations,
  type MigrationOptions,
} from './migrations/apply-migrations.js';
export { withRetry } from './retry.js';
export { type SqlFragment, sqlFragment, sqlIdentifier, sqlJoin } from './sql.js';
export type {
  Database,
  IsolationLevel,
  QueryResult,
  RetryOptions,
  RunTransactionOptions,
  Transaction,
} from './types.js';
