import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createDatabase } from './create-database.js';
import { dbSettings } from './db-settings.js';
import { DatabaseError, invalidArgument } from './errors.js';
import { applyMigrations, migrationStatus } from './migrations/apply-migrations.js';
import { createMigration } from './migrations/create-migration.js';
import type { MigrationInput } from './migrations/schema-engine.js';
import type { Database } from './types.js';

/** What a package that owns tables exports as `migrationSet` for `vsa-db migrate --package`. */
export interface MigrationSet {
  /** Its own Postgres schema, e.g. `vsa_events`. */
  readonly schema: string;
  readonly migrations: readonly MigrationInput[];
}

const USAGE = `vsa-db <command> [options]

Commands:
  generate [prisma args]     prisma generate without downloading native engines
  migrate                    apply pending migrations (packages first, then the app)
  status                     show applied / pending / failed migrations (exit 1 if not up to date)
  migrate-dev --name <name>  write a migration from schema changes, then apply it

Options:
  --url <url>            database (default: DATABASE_URL, else PGlite in PGLITE_DATA_DIR or .data/pglite)
  --schema-file <file>   Prisma schema (default prisma/schema.prisma)
  --dir <folder>         migrations folder (default prisma/migrations)
  --package <module>     a package exporting migrationSet (repeatable; also package.json "vsaDb.packages")
  --name <name>          migrate-dev: name of the new migration
`;

type Out = (line: string) => void;

async function packageSets(cwd: string, specifiers: readonly string[]): Promise<MigrationSet[]> {
  let fromJson: string[] = [];
  try {
    const pkg = JSON.parse(await readFile(join(cwd, 'package.json'), 'utf8')) as {
      vsaDb?: { packages?: unknown };
    };
    if (Array.isArray(pkg.vsaDb?.packages)) fromJson = pkg.vsaDb.packages.map(String);
  } catch {
    // No package.json: only --package flags.
  }
  const require = createRequire(join(cwd, 'package.json'));
  const sets: MigrationSet[] = [];
  for (const spec of [...new Set([...fromJson, ...specifiers])]) {
    const mod = (await import(pathToFileURL(require.resolve(spec)).href)) as {
      migrationSet?: MigrationSet;
    };
    if (!mod.migrationSet || typeof mod.migrationSet.schema !== 'string') {
      throw invalidArgument(`${spec} does not export migrationSet: { schema, migrations }`);
    }
    sets.push(mod.migrationSet);
  }
  return sets;
}

const cliSettings = dbSettings.pick({ DATABASE_URL: true, PGLITE_DATA_DIR: true });

// The URL goes through the app's settings fragment before anything opens it: an unparsable
// value such as `notaurl` would otherwise be taken for a PGlite folder and created on disk.
function connectionSettings(flag: string | undefined): {
  url: string | undefined;
  dataDir: string;
} {
  const parsed = cliSettings.safeParse({
    DATABASE_URL: flag ?? (process.env.DATABASE_URL || undefined),
    PGLITE_DATA_DIR: process.env.PGLITE_DATA_DIR || undefined,
  });
  if (!parsed.success) {
    const name = flag === undefined ? 'DATABASE_URL' : '--url';
    const problems = parsed.error.issues.map(
      (issue) =>
        `${issue.path[0] === 'DATABASE_URL' ? name : String(issue.path[0])}: ${issue.message}`,
    );
    throw invalidArgument(`${problems.join('; ')}; fix the value and run again`);
  }
  return { url: parsed.data.DATABASE_URL, dataDir: parsed.data.PGLITE_DATA_DIR };
}

/** Runs the CLI; returns the exit code. */
export async function main(
  argv: readonly string[],
  out: Out = (l) => process.stdout.write(`${l}\n`),
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    out(USAGE);
    return command ? 0 : 1;
  }
  let db: Database<unknown> | undefined;
  try {
    const { values } = parseArgs({
      args: [...rest],
      options: {
        url: { type: 'string' },
        'schema-file': { type: 'string', default: 'prisma/schema.prisma' },
        dir: { type: 'string' },
        package: { type: 'string', multiple: true, default: [] },
        name: { type: 'string' },
      },
    });
    const cwd = process.cwd();
    // Prisma 7's CLI no longer reads .env; neither does node: load it like the app does.
    if (existsSync(join(cwd, '.env'))) process.loadEnvFile(join(cwd, '.env'));
    const { url, dataDir } = connectionSettings(values.url);
    db = await createDatabase({ url, dataDir });
    const where =
      url && /^postgres/i.test(url)
        ? new URL(url).pathname.slice(1)
        : `PGlite (${url || process.env.PGLITE_DATA_DIR || '.data/pglite'})`;
    const sets = await packageSets(cwd, values.package ?? []);
    const dir = resolve(values.dir ?? 'prisma/migrations');
    // An app without models has no prisma/migrations yet; a --dir that names nothing is a mistake.
    const appDirMissing = values.dir === undefined && !existsSync(dir);
    switch (command) {
      case 'migrate': {
        for (const set of sets) {
          const r = await applyMigrations(db, { migrations: set.migrations, schema: set.schema });
          out(
            `${set.schema}: ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'}`,
          );
        }
        if (appDirMissing) {
          out(`public (${where}): no migrations folder at ${dir}, nothing to apply`);
          return 0;
        }
        const r = await applyMigrations(db, { migrations: { dir } });
        out(
          `public (${where}): ${r.applied.length ? `applied ${r.applied.join(', ')}` : 'up to date'}`,
        );
        return 0;
      }
      case 'status': {
        let ok = true;
        const targets = [
          ...sets.map((s) => ({ label: s.schema, migrations: s.migrations, schema: s.schema })),
          ...(appDirMissing
            ? []
            : [{ label: `public (${where})`, migrations: { dir }, schema: 'public' }]),
        ];
        if (appDirMissing) out(`public (${where}): no migrations folder at ${dir}`);
        for (const target of targets) {
          const s = await migrationStatus(db, {
            migrations: target.migrations,
            schema: target.schema,
          });
          ok &&= s.upToDate;
          out(
            `${target.label}: ${s.applied.length} applied, ${s.pending.length} pending, ${s.failed.length} failed`,
          );
          for (const name of s.pending) out(`  pending  ${name}`);
          for (const name of s.failed) out(`  FAILED   ${name}`);
          for (const name of s.modified) out(`  modified ${name} (changed after it was applied)`);
        }
        return ok ? 0 : 1;
      }
      case 'migrate-dev': {
        if (!values.name) throw invalidArgument('migrate-dev needs --name <name>');
        for (const set of sets)
          await applyMigrations(db, { migrations: set.migrations, schema: set.schema });
        const r = await createMigration(db, {
          schemaFile: resolve(values['schema-file'] ?? ''),
          dir,
          name: values.name,
        });
        out(r.migration ? `created ${r.migration}` : 'no schema changes: nothing to create');
        if (r.applied.length) out(`applied ${r.applied.join(', ')}`);
        return 0;
      }
      default:
        out(`unknown command ${command}\n\n${USAGE}`);
        return 1;
    }
  } catch (error) {
    const code = error instanceof DatabaseError ? ` [${error.code}]` : '';
    out(`vsa-db ${command} failed${code}: ${(error as Error).message}`);
    return 1;
  } finally {
    await db?.close();
  }
}
