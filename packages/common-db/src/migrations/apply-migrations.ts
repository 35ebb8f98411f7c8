import { createHash } from 'node:crypto';
import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import {
  DB_INVALID_ARGUMENT,
  invalidArgument,
  MigrationFailedError,
  mapDatabaseError,
} from '../errors.js';
import { driverOf } from '../internals.js';
import { quoteIdentifier } from '../sql.js';
import type { Database } from '../types.js';
import { type LoadedMigrations, loadMigrations, type MigrationSource } from './load-migrations.js';
import { migrationList, startEngine } from './schema-engine.js';

/** Options of {@link applyMigrations} and {@link migrationStatus}. */
export interface MigrationOptions {
  /** `[{ name, sql }]` compiled into a package, or `{ dir }` of a Prisma migrations folder. */
  readonly migrations: MigrationSource;
  /** Postgres schema that holds these tables and their `_prisma_migrations` (default `public`). */
  readonly schema?: string;
}

/** What {@link applyMigrations} did. */
export interface ApplyMigrationsResult {
  readonly schema: string;
  /** Migrations applied by this call, in order (empty when already up to date). */
  readonly applied: readonly string[];
}

/** State of one schema's migrations. */
export interface MigrationStatus {
  readonly schema: string;
  readonly applied: readonly string[];
  readonly pending: readonly string[];
  /** Started but failed; must be resolved before anything else applies. */
  readonly failed: readonly string[];
  /** Applied, but the file changed since (checksum differs). */
  readonly modified: readonly string[];
  /** Applied in the database but absent from the source. */
  readonly unknown: readonly string[];
  readonly upToDate: boolean;
}

// Parsed once at applyMigrations / migrationStatus; loadMigrations checks the source itself.
const migrationOptionsSchema = z.strictObject({
  migrations: z.custom<MigrationSource>(
    (value) => typeof value === 'object' && value !== null,
    'pass [{ name, sql }] or { dir }',
  ),
  schema: z.string().min(1).default('public'),
});

function resolveMigrationOptions(
  options: unknown,
  where: string,
): { migrations: MigrationSource; schema: string } {
  const resolved = parseOptions(migrationOptionsSchema, options, {
    where,
    code: DB_INVALID_ARGUMENT,
  });
  quoteIdentifier(resolved.schema);
  return resolved;
}

function failedName(message: string, logs: readonly string[]): string | undefined {
  const fromError =
    /migration_name="([^"]+)"/.exec(message)?.[1] ?? /The `([^`]+)` migration/.exec(message)?.[1];
  if (fromError) return fromError;
  for (let i = logs.length - 1; i >= 0; i--) {
    const name = /Applying `([^`]+)`/.exec(logs[i] ?? '')?.[1];
    if (name) return name;
  }
  return undefined;
}

function detailOf(message: string): string {
  // The engine's message: summary line(s), then a numbered span trace we drop.
  const lines: string[] = [];
  for (const line of message.split('\n')) {
    if (/^\s*\d+:/.test(line)) break;
    const text = line.replace(/^Error querying the database:\s*/, '').trim();
    if (text !== '' && text !== 'external connector error') lines.push(text);
  }
  return lines.join(' ') || message.trim();
}

/**
 * Applies pending migrations with Prisma's schema engine (WebAssembly), writing the same
 * `_prisma_migrations` rows as `prisma migrate deploy`. A session advisory lock per schema
 * makes concurrent callers wait and then find nothing left to apply. A failing migration
 * throws `MigrationFailedError` naming it; the engine records it as failed, and later calls
 * refuse to continue until it is resolved (as `prisma migrate deploy` does).
 *
 * @example
 * await applyMigrations(db, { migrations: { dir: 'prisma/migrations' } });
 * await applyMigrations(db, { migrations: eventsMigrations, schema: 'vsa_events' });
 */
export async function applyMigrations(
  db: Database<unknown>,
  options: MigrationOptions,
): Promise<ApplyMigrationsResult> {
  driverOf(db);
  const { schema, migrations } = resolveMigrationOptions(options, 'applyMigrations(db, options)');
  const loaded = await loadMigrations(migrations);
  if (loaded.migrations.length === 0) return { schema, applied: [] };
  // Nothing pending, failed or changed: one read, and the WebAssembly engine (about 1 s and
  // tens of MiB to load) stays unloaded. Anything else goes to the engine, which takes the lock.
  const status = await statusOf(db, schema, loaded);
  if (status.upToDate && status.modified.length === 0) return { schema, applied: [] };
  const session = await driverOf(db).migrationSession(schema);
  let logs: string[] = [];
  try {
    const { engine, logs: engineLogs } = await startEngine(session.adapter);
    logs = engineLogs;
    try {
      const result = await engine.applyMigrations({
        migrationsList: migrationList(loaded.migrations, loaded.lockfile),
        filters: { externalTables: [], externalEnums: [] },
      });
      return { schema, applied: result.appliedMigrationNames };
    } finally {
      engine.free();
    }
  } catch (error) {
    if (error instanceof MigrationFailedError) throw error;
    const mapped = mapDatabaseError(error);
    if (mapped !== error) throw mapped;
    const message = String((error as Error).message ?? error);
    throw new MigrationFailedError(failedName(message, logs), schema, detailOf(message), {
      cause: error,
    });
  } finally {
    await session.release();
  }
}

/** The checksum Prisma stores in `_prisma_migrations.checksum`: sha256 of the script, hex. */
export function migrationChecksum(sql: string): string {
  if (typeof sql !== 'string') {
    throw invalidArgument('migrationChecksum(sql): sql must be the migration script as a string');
  }
  return createHash('sha256').update(sql).digest('hex');
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** Compares a migration source with a schema's `_prisma_migrations` table. Read-only. */
export async function migrationStatus(
  db: Database<unknown>,
  options: MigrationOptions,
): Promise<MigrationStatus> {
  driverOf(db);
  const { schema, migrations } = resolveMigrationOptions(options, 'migrationStatus(db, options)');
  return statusOf(db, schema, await loadMigrations(migrations));
}

async function statusOf(
  db: Database<unknown>,
  schema: string,
  loaded: LoadedMigrations,
): Promise<MigrationStatus> {
  const [exists] = await db.sql<{ exists: boolean }>`
    select to_regclass(${`${quoteIdentifier(schema)}._prisma_migrations`}) is not null as exists`;
  const rows = exists?.exists
    ? (
        await db.query<MigrationRow>(
          `select migration_name, checksum, finished_at, rolled_back_at
             from ${quoteIdentifier(schema)}._prisma_migrations order by started_at`,
        )
      ).rows
    : [];
  const live = rows.filter((r) => r.rolled_back_at === null);
  const done = new Map(
    live.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]),
  );
  const failed = live.filter((r) => r.finished_at === null).map((r) => r.migration_name);
  const known = new Set(loaded.migrations.map((m) => m.name));
  const applied = loaded.migrations.filter((m) => done.has(m.name)).map((m) => m.name);
  const pending = loaded.migrations
    .filter((m) => !done.has(m.name) && !failed.includes(m.name))
    .map((m) => m.name);
  const modified = loaded.migrations
    .filter((m) => {
      const row = done.get(m.name);
      return row !== undefined && row.checksum !== migrationChecksum(m.sql);
    })
    .map((m) => m.name);
  const unknown = [...done.keys()].filter((name) => !known.has(name));
  return {
    schema,
    applied,
    pending,
    failed,
    modified,
    unknown,
    upToDate: pending.length === 0 && failed.length === 0,
  };
}
