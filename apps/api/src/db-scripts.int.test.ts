import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '@vsa/common-db';
import { diffMigrationsToSchema } from '@vsa/common-db/admin';
import { createTestPostgresUrl } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('..', import.meta.url));
const vsaDb = createRequire(import.meta.url)
  .resolve('@vsa/common-db/package.json')
  .replace(/package\.json$/, 'bin/vsa-db.mjs');

function vsaDbRun(url: string, command: string) {
  return spawnSync(process.execPath, [vsaDb, command], {
    cwd: appDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, DATABASE_URL: url },
  });
}

// What `pnpm db:status` and `pnpm db:migrate` run: the app's migrations and the event bus's
// (listed under "vsaDb.packages" in package.json), against DATABASE_URL.
describe.skipIf(!process.env.DATABASE_URL)('db scripts on PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await createTestPostgresUrl();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('status reports pending migrations of the app and the bus, migrate applies them', () => {
    const before = vsaDbRun(database.url, 'status');
    expect(before.status).toBe(1);
    expect(before.stdout).toMatch(/vsa_events: 0 applied, [1-9]\d* pending/);

    const migrate = vsaDbRun(database.url, 'migrate');
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('vsa_events: applied 0001_events');

    const after = vsaDbRun(database.url, 'status');
    expect(after.status).toBe(0);
    expect(after.stdout).toMatch(/vsa_events: \d+ applied, 0 pending, 0 failed/);
    expect(after.stdout).toMatch(/public \(\w+\): \d+ applied, 0 pending, 0 failed/);
  });

  it('the committed migrations produce exactly prisma/schema.prisma (nothing left for migrate dev)', async () => {
    const db = await createDatabase({ url: database.url });
    try {
      const sql = await diffMigrationsToSchema(db, {
        schemaFile: `${appDir}prisma/schema.prisma`,
        dir: `${appDir}prisma/migrations`,
      });
      // Only comments (the engine writes "-- This is an empty migration."): no statement left.
      const statements = sql
        .split('\n')
        .filter((l) => l.trim() !== '' && !l.trim().startsWith('--'));
      expect(statements).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
