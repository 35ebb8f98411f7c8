// Operator functions (migration status, creation and diffs, checksums), SQL compile helpers,
// error mapping, and the types an application rarely names.
export type { MigrationSet } from '../cli.js';
export {
  type ConstraintDetails,
  ConstraintViolationError,
  isRetryableTransactionError,
  MigrationFailedError,
  mapDatabaseError,
  PrismaNotConfiguredError,
  TransactionClosedError,
} from '../errors.js';
export {
  type MigrationStatus,
  migrationChecksum,
  migrationStatus,
} from '../migrations/apply-migrations.js';
export {
  type CreateMigrationOptions,
  type CreateMigrationResult,
  createMigration,
  defaultMigrationsDir,
  diffMigrationsToSchema,
} from '../migrations/create-migration.js';
export {
  type LoadedMigrations,
  type LoadMigrationsOptions,
  loadMigrations,
  type MigrationSource,
} from '../migrations/load-migrations.js';
export type { MigrationInput } from '../migrations/schema-engine.js';
export type { PoolOptions } from '../pg-driver.js';
export { DEFAULT_PGLITE_DATA_DIR } from '../resolve-url.js';
export { type CompiledSql, compileSql, quoteIdentifier } from '../sql.js';
export type {
  BackoffOptions,
  DatabaseKind,
  DatabaseLogger,
  HealthReport,
  ListenOptions,
  PoolUsage,
  QueryOptions,
  SqlExecutor,
  TransactionClient,
  TransactionOptions,
  Unlisten,
} from '../types.js';
