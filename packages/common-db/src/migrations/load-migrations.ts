import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { invalidArgument } from '../errors.js';
import type { MigrationInput } from './schema-engine.js';

/** Where migrations come from: strings compiled into a package, or a Prisma migrations folder. */
export type MigrationSource = readonly MigrationInput[] | { readonly dir: string };

/** Migrations in apply order, plus the folder's `migration_lock.toml` when there is one. */
export interface LoadedMigrations {
  readonly migrations: readonly MigrationInput[];
  readonly lockfile: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function validate(migrations: readonly MigrationInput[]): readonly MigrationInput[] {
  const seen = new Set<string>();
  for (const m of migrations) {
    if (typeof m !== 'object' || m === null || typeof m.name !== 'string' || !NAME.test(m.name)) {
      throw invalidArgument(
        `Invalid migration name ${JSON.stringify((m as { name?: unknown })?.name)}: use a folder-like name such as 20240101000000_init`,
      );
    }
    if (typeof m.sql !== 'string' || m.sql.trim() === '') {
      throw invalidArgument(`Migration ${m.name} has no SQL`);
    }
    if (seen.has(m.name)) throw invalidArgument(`Migration ${m.name} is listed twice`);
    seen.add(m.name);
  }
  return migrations;
}

/** Options of {@link loadMigrations}. */
export interface LoadMigrationsOptions {
  /**
   * A `{ dir }` that does not exist: `'error'` (default) throws, since a mistyped path must not
   * pass as "nothing to apply"; `'empty'` reads it as no migrations yet (the first `migrate dev`).
   */
  readonly missingDir?: 'error' | 'empty';
}

/**
 * Reads `<dir>/<name>/migration.sql` folders (sorted by name, as Prisma does), or validates an
 * array of `{ name, sql }`.
 *
 * @throws InvalidArgumentError for a malformed source, and for a folder that does not exist
 *   unless `missingDir: 'empty'`.
 */
export async function loadMigrations(
  source: MigrationSource,
  options: LoadMigrationsOptions = {},
): Promise<LoadedMigrations> {
  if (Array.isArray(source)) return { migrations: validate(source), lockfile: null };
  const dir = (source as { dir?: unknown } | null | undefined)?.dir;
  if (typeof dir !== 'string' || dir === '') {
    throw invalidArgument(
      'migrations must be an array of { name, sql } or { dir: "<prisma/migrations folder>" }',
    );
  }
  const root = resolve(dir);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (options.missingDir === 'empty') return { migrations: [], lockfile: null };
    throw invalidArgument(
      `Migrations folder ${root} does not exist: pass the folder that holds <timestamp>_<name>/migration.sql (for Prisma, prisma/migrations next to schema.prisma), or create the first migration with \`vsa-db migrate-dev --name init\``,
    );
  }
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrations: MigrationInput[] = [];
  for (const name of names) {
    try {
      migrations.push({ name, sql: await readFile(join(root, name, 'migration.sql'), 'utf8') });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const lockfile = await readFile(join(root, 'migration_lock.toml'), 'utf8').catch(() => null);
  return { migrations: validate(migrations), lockfile };
}
