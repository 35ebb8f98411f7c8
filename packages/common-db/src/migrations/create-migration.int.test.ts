import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testEngines } from '../testing/index.js';
import { applyMigrations } from './apply-migrations.js';
import { createMigration, diffMigrationsToSchema } from './create-migration.js';

const v1 = `datasource db {
  provider = "postgresql"
}

model Order {
  id       String @id @default(uuid())
  customer String
  total    Int
}
`;
const v2 = v1.replace(
  '  total    Int\n',
  '  total    Int\n  status   String @default("new")\n\n  @@index([customer])\n',
);

describe.each(testEngines())('createMigration (migrate dev) on %s', (engine) => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it('writes migrations for schema changes that rebuild the same schema on a fresh database', async () => {
    const dev: TestDatabase = await createTestDatabase({ engine });
    cleanup.push(() => dev.drop());
    const dir = await mkdtemp(join(tmpdir(), 'vsa-migrate-dev-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const schemaFile = join(dir, 'schema.prisma');
    const migrations = join(dir, 'migrations');

    await writeFile(schemaFile, v1);
    const first = await createMigration(dev.db, {
      schemaFile,
      dir: migrations,
      name: 'init',
      now: new Date(Date.UTC(2024, 0, 1)),
    });
    expect(first.migration).toBe('20240101000000_init');
    expect(first.sql).toContain('CREATE TABLE "Order"');
    expect(first.applied).toEqual(['20240101000000_init']);

    const unchanged = await createMigration(dev.db, { schemaFile, dir: migrations, name: 'noop' });
    expect(unchanged.migration).toBeUndefined();

    await writeFile(schemaFile, v2);
    const second = await createMigration(dev.db, {
      schemaFile,
      dir: migrations,
      name: 'status',
      now: new Date(Date.UTC(2024, 0, 2)),
    });
    expect(second.migration).toBe('20240102000000_status');
    expect(second.sql).toContain('"status"');
    expect((await readdir(migrations)).sort()).toEqual([
      '20240101000000_init',
      '20240102000000_status',
      'migration_lock.toml',
    ]);
    expect(await readFile(join(migrations, 'migration_lock.toml'), 'utf8')).toContain('postgresql');

    // A fresh database built from the folder matches the schema: nothing left to diff.
    const fresh = await createTestDatabase({ engine });
    cleanup.push(() => fresh.drop());
    expect(
      (await applyMigrations(fresh.db, { migrations: { dir: migrations } })).applied,
    ).toHaveLength(2);
    const columns = async (t: TestDatabase) =>
      t.db
        .sql`select column_name, data_type, column_default, is_nullable from information_schema.columns
                where table_schema = 'public' and table_name = 'Order' order by column_name`;
    expect(await columns(fresh)).toEqual(await columns(dev));
    expect(await diffMigrationsToSchema(fresh.db, { schemaFile, dir: migrations })).not.toMatch(
      /^(?!--)\s*\S/m,
    );
  });
});
