import { InvalidArgumentError } from '@vsa/common-errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlExecutor } from './admin/index.js';
import { UniqueViolationError } from './index.js';
import { testSchemaMigrations } from './test-support/fixtures.js';
import { PrismaClient } from './test-support/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase, testEngines } from './testing/index.js';

const INSERT = 'insert into audit (what) values ($1) returning what';

/** Names of the statements prepared on the executor's current connection. */
async function prepared(exec: SqlExecutor): Promise<string[]> {
  const { rows } = await exec.query<{ name: string }>(
    'select name from pg_prepared_statements order by name',
  );
  return rows.map((r) => r.name);
}

const variants = testEngines().flatMap((engine) => [
  { engine, prisma: false },
  { engine, prisma: true },
]);

describe.each(variants)(
  'named query on $engine (Prisma configured: $prisma)',
  ({ engine, prisma }) => {
    let t: TestDatabase<PrismaClient>;
    const tag = `${engine}-${prisma ? 'prisma' : 'raw'}`;
    beforeAll(async () => {
      t = await createTestDatabase<PrismaClient>({
        engine,
        migrations: testSchemaMigrations,
        ...(prisma ? { PrismaClient } : {}),
      });
    });
    afterAll(() => t?.drop());

    it('runs a named statement outside a transaction, again and again', async () => {
      for (let i = 0; i < 3; i++) {
        const res = await t.db.query<{ what: string }>(INSERT, [`${tag}-auto-${i}`], {
          name: 'audit_insert',
        });
        expect(res.rows).toEqual([{ what: `${tag}-auto-${i}` }]);
        expect(res.rowCount).toBe(1);
      }
      const rows = await t.db.sql<{ n: string }>`
      select count(*) as n from audit where what like ${`${tag}-auto-%`}`;
      expect(rows[0]?.n).toBe('3');
    });

    it('prepares inside a transaction on postgres (PGlite ignores the name) and rolls back', async () => {
      const names = await t.db.transaction(async (tx) => {
        for (let i = 0; i < 3; i++) {
          await tx.query(INSERT, [`${tag}-tx-${i}`], { name: 'audit_insert' });
        }
        return prepared(tx);
      });
      if (engine === 'postgres') expect(names).toContain('audit_insert');
      else expect(names).not.toContain('audit_insert');
      const committed = await t.db.sql`select 1 from audit where what like ${`${tag}-tx-%`}`;
      expect(committed).toHaveLength(3);

      await expect(
        t.db.transaction(async (tx) => {
          await tx.query(INSERT, [`${tag}-rolled-back`], { name: 'audit_insert' });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect(await t.db.sql`select 1 from audit where what = ${`${tag}-rolled-back`}`).toHaveLength(
        0,
      );
    });

    it('keeps working across many transactions on the pooled connections', async () => {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.db.transaction((tx) =>
            tx.query(INSERT, [`${tag}-many-${i}`], { name: 'audit_insert' }),
          ),
        ),
      );
      const rows = await t.db.sql<{ n: string }>`
      select count(*) as n from audit where what like ${`${tag}-many-%`}`;
      expect(rows[0]?.n).toBe('12');
    });

    it('maps errors of a named statement and leaves it usable', async () => {
      const select = 'select $1::int as n';
      await expect(t.db.query(select, ['x'], { name: 'int_cast' })).rejects.toThrow();
      const ok = await t.db.query<{ n: number }>(select, [7], { name: 'int_cast' });
      expect(ok.rows).toEqual([{ n: 7 }]);
      await t.db.sql`create unique index if not exists audit_what_unique on audit (what)`;
      const err = await t.db
        .transaction(async (tx) => {
          await tx.query(INSERT, [`${tag}-dup`], { name: 'audit_insert' });
          await tx.query(INSERT, [`${tag}-dup`], { name: 'audit_insert' });
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UniqueViolationError);
      await t.db.sql`drop index audit_what_unique`;
    });

    it.each<[string, unknown]>([
      ['empty', { name: '' }],
      ['too long', { name: 'a'.repeat(64) }],
      ['a dash', { name: 'audit-insert' }],
      ['a space', { name: 'audit insert' }],
      ['a quote', { name: 'x"; drop table audit; --' }],
      ['not a string', { name: 5 }],
      ['options not an object', 'audit_insert'],
      ['options null', null],
    ])(
      'rejects a name that is %s with VSA_DB_INVALID_ARGUMENT, in and out of a transaction',
      async (_, options) => {
        const bad = options as { name: string };
        const outside = await t.db.query('select 1', [], bad).catch((e: unknown) => e);
        expect(outside).toBeInstanceOf(InvalidArgumentError);
        expect((outside as InvalidArgumentError).code).toBe('VSA_DB_INVALID_ARGUMENT');
        const inside = await t.db
          .transaction((tx) => tx.query('select 1', [], bad))
          .catch((e: unknown) => e);
        expect(inside).toBeInstanceOf(InvalidArgumentError);
      },
    );

    it('accepts the longest valid name and an options object without a name', async () => {
      const name = `n_${'x'.repeat(61)}`;
      expect((await t.db.query('select 1 as one', [], { name })).rows).toEqual([{ one: 1 }]);
      expect((await t.db.query('select 2 as two', [], {})).rows).toEqual([{ two: 2 }]);
    });
  },
);
