import { type ApplyMigrationsResult, applyMigrations, type Database } from '@vsa/common-db';
import { InvalidArgumentError } from './errors.js';
import { eventMigrations } from './migrations/index.js';
import { DEFAULT_SCHEMA, validateSchemaName } from './schema-name.js';

/**
 * Creates or upgrades the bus's tables in `schema` with @vsa/common-db's migrations (advisory
 * locked, so concurrent processes are safe; a no-op when up to date).
 */
export async function installEventStore(
  db: Database<unknown>,
  options: { readonly schema?: string } = {},
): Promise<ApplyMigrationsResult> {
  if (typeof db !== 'object' || db === null) {
    throw new InvalidArgumentError('installEventStore takes a @vsa/common-db Database.');
  }
  const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
  return applyMigrations(db, { migrations: eventMigrations(schema), schema });
}
