export type { MigrationSet } from './cli.js';
export {
  type CreateDatabaseOptions,
  createDatabase,
  type PrismaClientConstructor,
} from './create-database.js';
export { type DbSettings, databaseOptionsFromSettings, dbSettings } from './db-settings.js';
export {
  ConnectionUnavailableError,
  type ConstraintDetails,
  ConstraintViolationError,
  DatabaseError,
  ForeignKeyViolationError,
  InvalidArgumentError,
  isRetryableTransactionError,
  MigrationFailedError,
  mapDatabaseError,
  NotFoundError,
  PrismaNotConfiguredError,
  QueryTimeoutError,
  SerializationFailureError,
  TransactionAbortedError,
  TransactionClosedError,
  TransactionTimeoutError,
  UniqueViolationError,
} from './errors.js';
export {
  type ApplyMigrationsResult,
  applyMigrations,
  type MigrationOptions,
  type MigrationStatus,
  migrationChecksum,
  migrationStatus,
} from './migrations/apply-migrations.js';
export {
  type CreateMigrationOptions,
  type CreateMigrationResult,
  createMigration,
  defaultMigrationsDir,
  diffMigrationsToSchema,
} from './migrations/create-migration.js';
export {
  type LoadedMigrations,
  type LoadMigrationsOptions,
  loadMigrations,
  type MigrationSource,
} from './migrations/load-migrations.js';
export type { MigrationInput } from './migrations/schema-engine.js';
export type { PoolOptions } from './pg-driver.js';
export { DEFAULT_PGLITE_DATA_DIR } from './resolve-url.js';
export { backoffDelay, withRetry } from './retry.js';
export {
  type CompiledSql,
  compileSql,
  quoteIdentifier,
  type SqlFragment,
  sqlFragment,
  sqlIdentifier,
  sqlJoin,
} from './sql.js';
export type {
  BackoffOptions,
  Database,
  DatabaseKind,
  DatabaseLogger,
  HealthReport,
  IsolationLevel,
  ListenOptions,
  QueryOptions,
  QueryResult,
  RetryOptions,
  RunTransactionOptions,
  SqlExecutor,
  Transaction,
  TransactionClient,
  TransactionOptions,
  Unlisten,
} from './types.js';
