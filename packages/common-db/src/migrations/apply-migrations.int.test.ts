import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@vsa/common-errors';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationFailedError } from '../admin/index.js';
import { createDatabase, QueryTimeoutError } from '../index.js';
import {
  createTestDatabase,
  createTestPostgresUrl,
  type TestDatabase,
  testEngines,
} from '../testing/index.js';
import { applyMigrations, migrationChecksum, migrationStatus } from './apply-migrations.js';
import { schemaEngineStarts } from './schema-engine.js';

const init = {
  name: '20240101000000_init',
  sql: 'CREATE TABLE "widget" (id SERIAL PRIMARY KEY, name TEXT NOT NULL);',
};
const second = {
  name: '20240102000000_fn',
  // A function body with semicolons must survive: the script runs as one statement batch.
  sql: `ALTER TABLE "widget" ADD COLUMN size INT;
CREATE FUNCTION widget_count() RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT count(*) FROM widget);
END;
$$;`,
};
const broken = {
  name: '20240103000000_broken',
  sql: 'CREATE TABLE "gadget" (id INT); SELECT 1/0;',
};

describe.each(testEngines())('applyMigrations on %s', (engine) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.drop();
    t = undefined;
  });

  it('applies on an empty database, then is a no-op, with migrate-deploy rows', async () => {
    t = await createTestDatabase({ engine });
    const first = await applyMigrations(t.db, { migrations: [init, second] });
    expect(first).toEqual({ schema: 'public', applied: [init.name, second.name] });
    const again = await applyMigrations(t.db, { migrations: [init, second] });
    expect(again.applied).toEqual([]);
    const rows = await t.db.sql<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
      logs: string | null;
      rolled_back_at: Date | null;
    }>`select migration_name, checksum, finished_at, applied_steps_count, logs, rolled_back_at
         from public._prisma_migrations order by migration_name`;
    expect(rows.map((r) => r.migration_name)).toEqual([init.name, second.name]);
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(migrationChecksum([init, second][i]?.sql ?? ''));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
    }
    const [count] = await t.db.sql<{ n: string }>`select widget_count() as n`;
    expect(count?.n).toBe('0');
    const status = await migrationStatus(t.db, { migrations: [init, second, broken] });
    expect(status).toMatchObject({
      applied: [init.name, second.name],
      pending: [broken.name],
      upToDate: false,
    });
  });

  it('checks an up-to-date database without starting the schema engine', async () => {
    t = await createTestDatabase({ engine });
    await applyMigrations(t.db, { migrations: [init] });
    const starts = schemaEngineStarts();
    expect(await applyMigrations(t.db, { migrations: [init] })).toEqual({
      schema: 'public',
      applied: [],
    });
    expect(schemaEngineStarts()).toBe(starts);
    // A pending migration still goes through the engine.
    expect(await applyMigrations(t.db, { migrations: [init, second] })).toEqual({
      schema: 'public',
      applied: [second.name],
    });
    expect(schemaEngineStarts()).toBe(starts + 1);
  });

  it('fails a broken migration with its name, atomically, and blocks later runs', async () => {
    t = await createTestDatabase({ engine });
    const error = await applyMigrations(t.db, { migrations: [init, broken] }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationFailedError);
    expect(error).toMatchObject({ code: 'VSA_DB_MIGRATION_FAILED', migration: broken.name });
    expect((error as Error).message).toContain(broken.name);
    expect((error as Error).message).toContain('division by zero');
    // The failing script ran as one batch: its first statement was rolled back too.
    const [gadget] = await t.db.sql<{
      r: string | null;
    }>`select to_regclass('public.gadget')::text as r`;
    expect(gadget?.r).toBeNull();
    const status = await migrationStatus(t.db, { migrations: [init, broken] });
    expect(status).toMatchObject({ applied: [init.name], failed: [broken.name], upToDate: false });
    const again = await applyMigrations(t.db, { migrations: [init, broken] }).catch(
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(MigrationFailedError);
    expect((again as MigrationFailedError).migration).toBe(broken.name);
  });

  it('keeps a package schema with its own _prisma_migrations beside public', async () => {
    t = await createTestDatabase({ engine });
    await applyMigrations(t.db, { migrations: [init] });
    const pkg = {
      name: '20240101000000_events',
      sql: 'CREATE TABLE events (id BIGSERIAL PRIMARY KEY);',
    };
    expect(
      (await applyMigrations(t.db, { migrations: [pkg], schema: 'vsa_events' })).applied,
    ).toEqual([pkg.name]);
    expect(
      (await applyMigrations(t.db, { migrations: [pkg], schema: 'vsa_events' })).applied,
    ).toEqual([]);
    expect((await applyMigrations(t.db, { migrations: [init] })).applied).toEqual([]);
    const tables = await t.db.sql<{ s: string; n: string }>`
      select table_schema as s, table_name as n from information_schema.tables
       where table_schema in ('public', 'vsa_events') order by 1, 2`;
    expect(tables).toEqual([
      { s: 'public', n: '_prisma_migrations' },
      { s: 'public', n: 'widget' },
      { s: 'vsa_events', n: '_prisma_migrations' },
      { s: 'vsa_events', n: 'events' },
    ]);
    // The session's search_path is restored afterwards.
    const [path] = await t.db.sql<{ p: string }>`select current_setting('search_path') as p`;
    expect(path?.p).not.toContain('vsa_events');
    expect(
      (await migrationStatus(t.db, { migrations: [pkg], schema: 'vsa_events' })).upToDate,
    ).toBe(true);
  });

  it('lets one of two concurrent migrators apply; the other waits and finds nothing to do', async () => {
    t = await createTestDatabase({ engine });
    const other = engine === 'postgres' ? await createDatabase({ url: t.url }) : t.db;
    try {
      const results = await Promise.all([
        applyMigrations(t.db, { migrations: [init, second] }),
        applyMigrations(other, { migrations: [init, second] }),
      ]);
      const applied = results.map((r) => r.applied.length).sort();
      expect(applied).toEqual([0, 2]);
    } finally {
      if (other !== t.db) await other.close();
    }
  });

  it('reads a Prisma migrations folder', async () => {
    t = await createTestDatabase({ engine });
    const dir = await mkdtemp(join(tmpdir(), 'vsa-migrations-'));
    try {
      for (const m of [second, init]) {
        await mkdir(join(dir, m.name));
        await writeFile(join(dir, m.name, 'migration.sql'), m.sql);
      }
      await writeFile(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
      const result = await applyMigrations(t.db, { migrations: { dir } });
      expect(result.applied).toEqual([init.name, second.name]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(testEngines().includes('postgres'))(
  'applyMigrations on postgres with a pool statement_timeout',
  () => {
    it('waits for the lock and runs a slow migration beyond the pool statement_timeout', async () => {
      const { url, drop } = await createTestPostgresUrl();
      const pool = { max: 2, statementTimeoutMs: 300 };
      const a = await createDatabase({ url, pool });
      const b = await createDatabase({ url, pool });
      try {
        // Holds the lock ~600 ms: longer than the 300 ms pool timeout, for itself and the waiter.
        const slow = {
          name: '20240101000000_slow',
          sql: 'CREATE TABLE "slow" (id INT); SELECT pg_sleep(0.6);',
        };
        const results = await Promise.all([
          applyMigrations(a, { migrations: [slow] }),
          applyMigrations(b, { migrations: [slow] }),
        ]);
        expect(results.map((r) => r.applied.length).sort()).toEqual([0, 1]);
        expect((await migrationStatus(a, { migrations: [slow] })).upToDate).toBe(true);
        // The pool itself keeps its statement_timeout.
        await expect(a.sql`select pg_sleep(5)`).rejects.toBeInstanceOf(QueryTimeoutError);
      } finally {
        await a.close();
        await b.close();
        await drop();
      }
    });
  },
);

// pg lets the URL's parameters replace the config's `options`, so a DATABASE_URL carrying a
// statement_timeout (or any `options`) must not cancel a long migration nor move its tables.
describe
  .runIf(testEngines().includes('postgres'))
  .each([['?options=-c%20statement_timeout%3D300'], ['?statement_timeout=300']])(
  'applyMigrations on postgres with a URL that sets statement_timeout (%s)',
  (query) => {
    it('waits for the lock and runs a slow migration in its schema beyond the URL statement_timeout', async () => {
      const { url, drop } = await createTestPostgresUrl();
      const db = await createDatabase({ url: `${url}${query}` });
      const other = await createDatabase({ url: `${url}${query}` });
      try {
        // Holds the lock ~600 ms: longer than the URL's 300 ms, for itself and the waiter.
        const slow = {
          name: '20240101000000_slow',
          sql: 'CREATE TABLE "slow" (id INT); SELECT pg_sleep(0.6);',
        };
        const results = await Promise.all([
          applyMigrations(db, { migrations: [slow], schema: 'mig' }),
          applyMigrations(other, { migrations: [slow], schema: 'mig' }),
        ]);
        expect(results.map((r) => r.applied.length).sort()).toEqual([0, 1]);
        expect((await migrationStatus(db, { migrations: [slow], schema: 'mig' })).upToDate).toBe(
          true,
        );
        // Unqualified names landed in the migration schema (its search_path survived the URL).
        expect(
          await db.sql`select table_schema from information_schema.tables where table_name = 'slow'`,
        ).toEqual([{ table_schema: 'mig' }]);
        // The pool itself keeps the URL's statement_timeout.
        await expect(db.sql`select pg_sleep(5)`).rejects.toBeInstanceOf(QueryTimeoutError);
      } finally {
        await db.close();
        await other.close();
        await drop();
      }
    });
  },
);

describe('applyMigrations input validation', () => {
  it('rejects bad names, duplicates and schemas', async () => {
    const db = await createDatabase({ url: 'postgres://postgres@127.0.0.1:1/x' });
    await expect(
      applyMigrations(db, { migrations: [{ name: '../x', sql: 'select 1' }] }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(applyMigrations(db, { migrations: [init, init] })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      applyMigrations(db, { migrations: [init], schema: 'x; drop' }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(applyMigrations({} as typeof db, { migrations: [init] })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await db.close();
  });
});
