import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installEventStore } from './install.js';
import { publishEvent } from './publish/publish-event.js';
import { OrderPlaced, PaymentCaptured } from './test-support/catalog.js';

const schema = 'executor_test';

/** Statement names prepared on the connection `query` runs on. */
type Query = (text: string) => Promise<{ rows: { name: string }[] }>;
async function prepared(query: Query): Promise<string[]> {
  const { rows } = await query('select name from pg_prepared_statements order by name');
  return rows.map((r) => r.name);
}

describe.each(testEngines())('hot statements on %s', (engine) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    await installEventStore(t.db, { schema });
  });
  afterAll(() => t?.drop());

  it('publishes through db.transaction under the same statement names as on a pg client', async () => {
    const names = await t.db.transaction(async (tx) => {
      for (let i = 0; i < 3; i++) {
        await publishEvent(tx, OrderPlaced.create({ orderId: `o${i}`, total: i }), { schema });
      }
      await publishEvent(
        tx,
        [
          OrderPlaced.create({ orderId: 'm1', total: 1 }),
          PaymentCaptured.create({ paymentId: 'p1', amount: 1 }),
        ],
        { schema },
      );
      return prepared((text) => tx.query<{ name: string }>(text));
    });
    const { rows } = await t.db.query<{ n: string }>(
      `select count(*)::text as n from ${schema}.events`,
    );
    expect(rows[0]?.n).toBe('5');
    if (engine === 'pglite') {
      expect(names).toEqual([]);
      return;
    }
    expect(names).toEqual(expect.arrayContaining([`vsa_ev1_${schema}`, `vsa_evn2_${schema}`]));
    // A raw pg client gets the very same names (one naming scheme on every path).
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      await publishEvent(client, OrderPlaced.create({ orderId: 'c1', total: 1 }), { schema });
      expect(await prepared((text) => client.query(text))).toEqual([`vsa_ev1_${schema}`]);
    } finally {
      await client.end();
    }
  });
});
