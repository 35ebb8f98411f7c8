import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type PrismaClientConstructor } from '../create-database.js';
import { invalidArgument } from '../errors.js';
import { applyMigrations } from '../migrations/apply-migrations.js';
import type { MigrationSource } from '../migrations/load-migrations.js';
import { openPGlite } from '../open-pglite.js';
import { pgliteTemplate } from '../pglite-template.js';

export { pgliteTemplate };

import type { Database, DatabaseLogger } from '../types.js';

/** Engines a test can run on. */
export type TestEngine = 'postgres' | 'pglite';

/** Server used when `DATABASE_URL` is unset and a test asks for `postgres`. */
export const DEFAULT_TEST_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * Engines the suites should run on: `VSA_TEST_ENGINES=postgres,pglite` if set; otherwise
 * both when `DATABASE_URL` is set (CI), PGlite only when it is not.
 */
export function testEngines(env: NodeJS.ProcessEnv = process.env): TestEngine[] {
  const explicit = env.VSA_TEST_ENGINES?.split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (explicit?.length) {
    for (const e of explicit) {
      if (e !== 'postgres' && e !== 'pglite') {
        throw invalidArgument(`VSA_TEST_ENGINES: unknown engine ${e} (use postgres, pglite)`);
      }
    }
    return explicit as TestEngine[];
  }
  return env.DATABASE_URL ? ['postgres', 'pglite'] : ['pglite'];
}

/** Options of {@link createTestDatabase}. */
export interface TestDatabaseOptions<Client = never> {
  /** Default: `postgres` when `DATABASE_URL` is set, else `pglite`. */
  readonly engine?: TestEngine;
  readonly PrismaClient?: PrismaClientConstructor<Client>;
  /** Migrations to apply right away (e.g. a package's own, in its own schema). */
  readonly migrations?: MigrationSource;
  readonly schema?: string;
  readonly logger?: DatabaseLogger;
}

/** A fresh, private database for one test file. */
export interface TestDatabase<Client = never> {
  readonly engine: TestEngine;
  readonly db: Database<Client>;
  /** `postgres://…/vsa_test_…` for Postgres, `memory:` for PGlite. */
  readonly url: string;
  /** Closes `db` and drops the database. Idempotent. */
  drop(): Promise<void>;
}

/** A fresh, empty Postgres database derived from `DATABASE_URL`; `drop()` removes it. */
export async function createTestPostgresUrl(
  baseUrl: string = process.env.DATABASE_URL || DEFAULT_TEST_POSTGRES_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (typeof baseUrl !== 'string' || !/^postgres(ql)?:\/\//i.test(baseUrl)) {
    throw invalidArgument(
      'createTestPostgresUrl(baseUrl): baseUrl must be a postgres:// URL (default DATABASE_URL)',
    );
  }
  const name = `vsa_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Creates a private database for one test file: a new Postgres database (derived from
 * `DATABASE_URL`, or the local server) or an in-memory PGlite cloned from a template.
 *
 * @example
 * const t = await createTestDatabase({ engine, migrations: eventsMigrations, schema: 'vsa_events' });
 * afterAll(() => t.drop());
 */
export async function createTestDatabase<Client = never>(
  options: TestDatabaseOptions<Client> = {},
): Promise<TestDatabase<Client>> {
  const engine = options.engine ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite');
  if (engine !== 'postgres' && engine !== 'pglite') {
    throw invalidArgument(`engine must be postgres or pglite, got ${String(engine)}`);
  }
  const common = {
    ...(options.PrismaClient ? { PrismaClient: options.PrismaClient } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  let db: Database<Client>;
  let url: string;
  let dropDatabase: () => Promise<void>;
  if (engine === 'postgres') {
    const created = await createTestPostgresUrl();
    url = created.url;
    dropDatabase = created.drop;
    db = await createDatabase<Client>({ ...common, url, pool: { max: 5 } });
  } else {
    url = 'memory:';
    const pglite = await openPGlite({ kind: 'memory' }, { loadDataDir: await pgliteTemplate() });
    db = await createDatabase<Client>({ ...common, pglite });
    dropDatabase = async () => {};
  }
  let dropping: Promise<void> | undefined;
  const handle: TestDatabase<Client> = {
    engine,
    db,
    url,
    drop() {
      dropping ??= (async () => {
        await db.close();
        await dropDatabase();
      })();
      return dropping;
    },
  };
  if (options.migrations) {
    try {
      await applyMigrations(db, {
        migrations: options.migrations,
        ...(options.schema ? { schema: options.schema } : {}),
      });
    } catch (error) {
      await handle.drop();
      throw error;
    }
  }
  return handle;
}
