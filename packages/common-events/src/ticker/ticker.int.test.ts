import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installEventStore } from '../install.js';
import { publishEvent } from '../publish/publish-event.js';
import { getEventsByChannel } from '../read/get-events-by-channel.js';
import { OrderPlaced } from '../test-support/catalog.js';
import { createTicker } from './ticker.js';

const schema = 'ticker_test';

describe.each(testEngines())('ticks on %s', (engine) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    await installEventStore(t.db, { schema });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('several tickers racing with several publishers: every event exactly once, dense ticks', async () => {
    const tickers = [1, 2, 3].map(() => createTicker({ db: t.db, schema }));
    let publishing = true;
    const tickLoops = tickers.map(async (ticker) => {
      while (publishing) await ticker.tick();
    });
    const published: string[] = [];
    await Promise.all(
      [0, 1, 2].map(async (p) => {
        for (let i = 0; i < 30; i++) {
          const batch = [0, 1].map((j) =>
            OrderPlaced.create({ orderId: `p${p}-${i}-${j}`, total: 1 }, { key: `k${p}` }),
          );
          await publishEvent(t.db, batch, { schema });
          published.push(...batch.map((e) => e.payload.orderId));
        }
      }),
    );
    publishing = false;
    await Promise.all(tickLoops);
    await tickers[0]?.tick();
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await getEventsByChannel(t.db, 'orders', {
        schema,
        after,
        limit: 7,
        tick: false,
      });
      seen.push(...page.events.map((e) => (e.payload as { orderId: string }).orderId));
      after = page.nextCursor;
      if (page.events.length === 0) break;
    }
    expect([...seen].sort()).toEqual([...published].sort());
    // Per publisher (one key each), the order published is the order delivered.
    for (const p of [0, 1, 2]) {
      const mine = published.filter((id) => id.startsWith(`p${p}-`));
      expect(seen.filter((id) => id.startsWith(`p${p}-`))).toEqual(mine);
    }
    const { rows } = await t.db.query<{ gaps: number; total: number }>(
      `select count(*)::int as total,
              count(*) filter (where tick_id <> prev + 1)::int as gaps
         from (select tick_id, lag(tick_id) over (order by tick_id) as prev from ${schema}.ticks) x
        where prev is not null`,
    );
    expect(rows[0]?.gaps).toBe(0);
    // Empty batches write no tick: never more ticks than publish statements.
    expect(rows[0]?.total).toBeLessThanOrEqual(90);
  });

  it('a stopped ticker stays stopped; tick() still works on demand', async () => {
    const ticker = createTicker({ db: t.db, schema, intervalMs: 5 });
    ticker.start();
    expect(ticker.running).toBe(true);
    await ticker.stop();
    expect(ticker.running).toBe(false);
    await publishEvent(t.db, OrderPlaced.create({ orderId: 'late', total: 1 }), { schema });
    await new Promise((r) => setTimeout(r, 30));
    const id = await ticker.tick();
    expect(id).toBeGreaterThan(0);
  });
});
