import type { MigrationSet } from '@vsa/common-db/admin';
import { eventMigrations } from './migrations/index.js';
import { DEFAULT_SCHEMA } from './schema-name.js';

/**
 * The bus's migrations in its default schema, for `vsa-db migrate --package @vsa/common-events`
 * (or `"vsaDb": { "packages": ["@vsa/common-events"] }` in the app's package.json), so
 * `pnpm db:migrate` installs the bus's tables with the app's. A bus in another schema uses
 * `eventMigrations(schema)` or `bus.install()`.
 */
export const migrationSet: MigrationSet = {
  schema: DEFAULT_SCHEMA,
  migrations: eventMigrations(DEFAULT_SCHEMA),
};
