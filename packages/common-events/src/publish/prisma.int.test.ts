import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrismaClient } from '../executor.js';
import { installEventStore } from '../install.js';
import { getEventsByChannel } from '../read/get-events-by-channel.js';
import { OrderPlaced, testCatalog } from '../test-support/catalog.js';
import { PrismaClient } from '../test-support/generated/prisma/client.js';
import { publishEvent } from './publish-event.js';

const schema = 'prisma_test';
const ORDER_TABLE = [
  {
    name: '20240101000000_orders',
    sql: 'CREATE TABLE "Order" ("id" TEXT NOT NULL, "total" INTEGER NOT NULL, CONSTRAINT "Order_pkey" PRIMARY KEY ("id"));',
  },
];

async function orderIds(db: Database<PrismaClient>): Promise<string[]> {
  const { events } = await getEventsByChannel(db, 'orders', { schema, limit: 1000 });
  return events.map((e) => (e.payload as { orderId: string }).orderId);
}

describe.each(testEngines())('publishing in a Prisma interactive transaction on %s', (engine) => {
  let t: TestDatabase<PrismaClient>;
  let db: Database<PrismaClient>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine, PrismaClient, migrations: ORDER_TABLE });
    db = t.db;
    await installEventStore(db, { schema });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('commits the event with the Prisma writes ($queryRawUnsafe is detected)', async () => {
    await db.transaction(async (tx) => {
      expect(isPrismaClient(tx.prisma)).toBe(true);
      await tx.prisma.order.create({ data: { id: 'p-1', total: 10 } });
      const published = await publishEvent(
        tx.prisma,
        [
          OrderPlaced.create({ orderId: 'p-1', total: 10 }, { key: 'p-1' }),
          OrderPlaced.create({ orderId: 'p-1b', total: 1 }, { key: 'p-1', idempotencyKey: 'pi-1' }),
        ],
        { schema, catalog: testCatalog },
      );
      expect(published.map((p) => typeof p.seq)).toEqual(['number', 'number']);
      const one = await publishEvent(tx.prisma, OrderPlaced.create({ orderId: 'p-1c', total: 2 }), {
        schema,
      });
      expect(one.seq).toBeGreaterThan(0);
    });
    expect(await db.prisma.order.count()).toBe(1);
    expect(await orderIds(db)).toEqual(['p-1', 'p-1b', 'p-1c']);
  });

  it('rolls the event back with the Prisma writes', async () => {
    await expect(
      db.prisma.$transaction(async (ptx) => {
        await ptx.order.create({ data: { id: 'p-2', total: 20 } });
        await publishEvent(ptx, OrderPlaced.create({ orderId: 'p-2', total: 20 }), { schema });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await db.prisma.order.findUnique({ where: { id: 'p-2' } })).toBeNull();
    expect(await orderIds(db)).not.toContain('p-2');
  });

  it('an idempotent retry through Prisma returns the first event', async () => {
    const first = OrderPlaced.create({ orderId: 'p-3', total: 1 }, { idempotencyKey: 'pi-3' });
    const again = OrderPlaced.create(
      { orderId: 'p-3-again', total: 1 },
      { idempotencyKey: 'pi-3' },
    );
    const a = await db.prisma.$transaction((ptx) => publishEvent(ptx, first, { schema }));
    const b = await db.prisma.$transaction((ptx) => publishEvent(ptx, again, { schema }));
    expect(b).toMatchObject({ id: a.id, seq: a.seq, duplicate: true });
  });
});
