import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  applyMigrations,
  createDatabase,
  type Database,
  type PrismaClientConstructor,
} from '@vsa/common-db';
import { type BenchContext, defineBenchmark } from '../harness.js';

const ROWS = 10_000;
const appDir = fileURLToPath(new URL('../../../apps/api/', import.meta.url));

/** The slice of the app's generated client this benchmark uses. */
interface OrderClient {
  order: { create(args: { data: { customer: string; total: number } }): Promise<unknown> };
}

/** The API's generated client, compiled by its build; undefined when the app is not built. */
async function loadAppClient(): Promise<PrismaClientConstructor<OrderClient> | undefined> {
  const file = `${appDir}dist/generated/prisma/client.js`;
  if (!existsSync(file)) return undefined;
  const mod = (await import(file)) as { PrismaClient: PrismaClientConstructor<OrderClient> };
  return mod.PrismaClient;
}

async function prepare(
  ctx: BenchContext,
  label: string,
  PrismaClient?: PrismaClientConstructor<OrderClient>,
) {
  const target = await ctx.pg(label);
  const db: Database<OrderClient> = await createDatabase<OrderClient>({
    url: target.url,
    ...(PrismaClient ? { PrismaClient } : {}),
    pool: { max: 4 },
  });
  ctx.onCleanup(() => db.close());
  await applyMigrations(db, { migrations: { dir: `${appDir}prisma/migrations` } });
  return { db, target };
}

/**
 * `pnpm bench db`: 10,000 single-row insert transactions, one after another, through
 * (a) db.transaction + raw sql, (b) the Prisma model API, (c) bare pg (BEGIN/INSERT/COMMIT).
 */
export default defineBenchmark({
  name: 'db',
  description: '10k single-row insert transactions: db.transaction + sql, Prisma create, bare pg',
  async run(ctx) {
    const PrismaClient = await loadAppClient();
    const truncate = (db: Database<OrderClient>) => async () => {
      await db.query('truncate "Order"');
    };

    // (c) bare pg on one connection.
    const bare = await prepare(ctx, 'bare');
    const client = await bare.target.connect();
    const bareFigure = await ctx.repeat(
      'c bare pg',
      async () => {
        for (let i = 0; i < ROWS; i++) {
          await client.query('BEGIN');
          await client.query(
            'insert into "Order" (id, customer, total) values (gen_random_uuid()::text, $1, $2)',
            ['ada', i],
          );
          await client.query('COMMIT');
        }
        return ROWS;
      },
      { unit: 'tx/s', before: truncate(bare.db) },
    );

    // (a) db.transaction + raw sql, without and with a Prisma client configured.
    const raw = await prepare(ctx, 'raw');
    const insertRaw = (db: Database<OrderClient>) => async () => {
      for (let i = 0; i < ROWS; i++) {
        await db.transaction(async (tx) => {
          await tx.sql`insert into "Order" (id, customer, total) values (gen_random_uuid()::text, ${'ada'}, ${i})`;
        });
      }
      return ROWS;
    };
    const rawFigure = await ctx.repeat('a db.transaction + sql', insertRaw(raw.db), {
      unit: 'tx/s',
      before: truncate(raw.db),
    });
    ctx.ratio('a / c', rawFigure, bareFigure);
    ctx.target(
      'a / c (db.transaction + sql vs bare pg)',
      rawFigure.value / bareFigure.value,
      0.8,
      'atLeast',
      {
        tolerance: 0.15,
      },
    );

    if (!PrismaClient) {
      ctx.note(
        'Prisma figures skipped: build the API first (pnpm --filter @vsa/api build) for its generated client.',
      );
      return;
    }
    const withPrisma = await prepare(ctx, 'prisma', PrismaClient);
    const rawPrismaFigure = await ctx.repeat(
      'a2 db.transaction + sql (Prisma configured)',
      insertRaw(withPrisma.db),
      {
        unit: 'tx/s',
        before: truncate(withPrisma.db),
      },
    );
    const prismaFigure = await ctx.repeat(
      'b Prisma order.create',
      async () => {
        for (let i = 0; i < ROWS; i++) {
          await withPrisma.db.prisma.order.create({ data: { customer: 'ada', total: i } });
        }
        return ROWS;
      },
      { unit: 'tx/s', before: truncate(withPrisma.db) },
    );
    ctx.ratio('a2 / c', rawPrismaFigure, bareFigure);
    ctx.ratio('b / c', prismaFigure, bareFigure);
    ctx.note(
      'a2: with a PrismaClient configured, db.transaction runs as a Prisma interactive transaction and raw SQL uses its connection.',
    );
    ctx.note(
      'Sequential transactions, one at a time; 2 cores shared with PostgreSQL and other work: compare same-run ratios.',
    );
  },
});
