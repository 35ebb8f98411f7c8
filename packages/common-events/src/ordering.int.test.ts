import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from './envelope.js';
import { installEventStore } from './install.js';
import { publishEvent } from './publish/publish-event.js';
import { getEventsByChannel } from './read/get-events-by-channel.js';
import { OrderPlaced } from './test-support/catalog.js';
import { holdTransaction } from './test-support/held-transaction.js';

const schema = 'ordering_test';
const tick = (db: Database<unknown>) => db.query(`select "${schema}".tick()`);

/** Reads everything after `cursor` (taking no tick: the test decides when ticks happen). */
async function readAll(
  db: Database<unknown>,
  channel: string,
  cursor?: string,
): Promise<{ events: StoredEvent[]; cursor: string }> {
  const events: StoredEvent[] = [];
  let after = cursor;
  for (;;) {
    const page = await getEventsByChannel(db, channel, {
      schema,
      tick: false,
      limit: 2,
      ...(after === undefined ? {} : { after }),
    });
    events.push(...page.events);
    after = page.nextCursor;
    if (page.events.length === 0) return { events, cursor: after };
  }
}

const order = (id: string, key = id) => OrderPlaced.create({ orderId: id, total: 1 }, { key });
const ids = (events: StoredEvent[]) =>
  events.map((e) => (e.payload as { orderId: string }).orderId);

// These tests need transactions open at the same time: PostgreSQL only.
const concurrentEngines = testEngines().filter((e) => e === 'postgres');

describe.runIf(concurrentEngines.length > 0)('commit-order delivery on postgres', () => {
  let t: TestDatabase;
  let db: Database<unknown>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine: 'postgres' });
    db = t.db;
    await installEventStore(db, { schema });
    await db.query('create table public.orders_biz (id text primary key, status text not null)');
    await db.query('create table public.other_biz (n int)');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('1: a transaction committing after a later one is not skipped', async () => {
    const a = await holdTransaction(db);
    await publishEvent(a.tx, order('A1'), { schema });
    const b = await holdTransaction(db);
    await publishEvent(b.tx, order('B1'), { schema });
    await b.commit();
    await tick(db);
    const first = await readAll(db, 'orders');
    expect(ids(first.events)).toEqual(['B1']); // A1 (lower seq) is still in flight
    await a.commit();
    await tick(db);
    const second = await readAll(db, 'orders', first.cursor);
    expect(ids(second.events)).toEqual(['A1']);
    expect(second.events[0]?.seq).toBeLessThan(first.events[0]?.seq ?? 0); // the late committer
  });

  async function sameKeyScenario(tickBetween: boolean, pinXmin: boolean): Promise<string[]> {
    const channelKey = `ord-${tickBetween}-${pinXmin}`;
    await db.query('insert into public.orders_biz values ($1, $2)', [channelKey, 'new']);
    const before = await readAll(db, 'orders');
    // A takes its xid first (a business write), so it holds the lower xid.
    const a = await holdTransaction(db);
    await a.tx.query('insert into public.other_biz values (1)');
    // C (xid between A and B) stays open and pins xmin; it publishes nothing.
    const c = pinXmin ? await holdTransaction(db) : null;
    await c?.tx.query('insert into public.other_biz values (2)');
    const b = await holdTransaction(db);
    await b.tx.query('select 1 from public.orders_biz where id = $1 for update', [channelKey]);
    await publishEvent(b.tx, order(`${channelKey}-E1`, channelKey), { schema });
    await b.commit();
    if (tickBetween) await tick(db);
    // A locks the same key after B committed, then publishes: commit order E1, E2.
    await a.tx.query('select 1 from public.orders_biz where id = $1 for update', [channelKey]);
    await publishEvent(a.tx, order(`${channelKey}-E2`, channelKey), { schema });
    await a.commit();
    await tick(db);
    const seen = await readAll(db, 'orders', before.cursor);
    await c?.commit();
    await tick(db);
    const rest = await readAll(db, 'orders', seen.cursor);
    return [...ids(seen.events), ...ids(rest.events)];
  }

  it('2: same key, later committer with the lower xid: delivered in commit order', async () => {
    expect(await sameKeyScenario(true, false)).toEqual(['ord-true-false-E1', 'ord-true-false-E2']);
    expect(await sameKeyScenario(false, false)).toEqual([
      'ord-false-false-E1',
      'ord-false-false-E2',
    ]);
  });

  it('2b: ... while a third transaction pins xmin: still commit order, nothing held back', async () => {
    expect(await sameKeyScenario(true, true)).toEqual(['ord-true-true-E1', 'ord-true-true-E2']);
    expect(await sameKeyScenario(false, true)).toEqual(['ord-false-true-E1', 'ord-false-true-E2']);
  });

  it('1b: an open transaction with events delays only itself, later commits flow', async () => {
    const before = await readAll(db, 'orders');
    const slow = await holdTransaction(db);
    await publishEvent(slow.tx, order('slow'), { schema });
    for (const id of ['f1', 'f2', 'f3']) {
      await publishEvent(db, order(id), { schema }); // auto-commit
      await tick(db);
    }
    const mid = await readAll(db, 'orders', before.cursor);
    expect(ids(mid.events)).toEqual(['f1', 'f2', 'f3']);
    await slow.commit();
    await tick(db);
    expect(ids((await readAll(db, 'orders', mid.cursor)).events)).toEqual(['slow']);
  });

  it('3: rolled back between two committed: never delivered, does not stall', async () => {
    const before = await readAll(db, 'orders');
    const first = await holdTransaction(db);
    await publishEvent(first.tx, order('c1'), { schema });
    const rolled = await holdTransaction(db);
    await publishEvent(rolled.tx, order('rb'), { schema });
    const last = await holdTransaction(db);
    await publishEvent(last.tx, order('c2'), { schema });
    await first.commit();
    await tick(db);
    const mid = await readAll(db, 'orders', before.cursor);
    expect(ids(mid.events)).toEqual(['c1']);
    await last.commit();
    await tick(db);
    const after = await readAll(db, 'orders', mid.cursor);
    expect(ids(after.events)).toEqual(['c2']); // not stalled by the open 'rb'
    await rolled.rollback();
    await tick(db);
    const end = await readAll(db, 'orders', after.cursor);
    expect(end.events).toEqual([]);
  });
});

describe.each(testEngines())('rollback and visibility on %s', (engine) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    await installEventStore(t.db, { schema });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('3: an event of a rolled-back transaction is never delivered', async () => {
    await t.db
      .transaction(async (tx) => {
        await publishEvent(tx, order('gone'), { schema });
        throw new Error('business failure');
      })
      .catch(() => undefined);
    await publishEvent(t.db, order('kept'), { schema });
    await tick(t.db);
    expect(ids((await readAll(t.db, 'orders')).events)).toEqual(['kept']);
  });

  it('an uncommitted event is invisible until its commit and tick', async () => {
    const before = await readAll(t.db, 'orders');
    let inside: StoredEvent[] = [];
    await t.db.transaction(async (tx) => {
      await publishEvent(tx, order('late'), { schema });
      // The same connection, same transaction: still not in any tick.
      inside = (await getEventsByChannel(tx, 'orders', { schema, after: before.cursor })).events;
    });
    expect(inside).toEqual([]);
    await tick(t.db);
    expect(ids((await readAll(t.db, 'orders', before.cursor)).events)).toEqual(['late']);
  });

  it('a page cursor resumes exactly; empty reads keep the cursor usable', async () => {
    const before = await readAll(t.db, 'orders');
    await publishEvent(
      t.db,
      ['p1', 'p2', 'p3', 'p4', 'p5'].map((id) => order(id)),
      { schema },
    );
    const p1 = await getEventsByChannel(t.db, 'orders', { schema, after: before.cursor, limit: 3 });
    const p2 = await getEventsByChannel(t.db, 'orders', { schema, after: p1.nextCursor, limit: 3 });
    const p3 = await getEventsByChannel(t.db, 'orders', { schema, after: p2.nextCursor, limit: 3 });
    expect(ids(p1.events)).toEqual(['p1', 'p2', 'p3']);
    expect(ids(p2.events)).toEqual(['p4', 'p5']);
    expect(p3.events).toEqual([]);
    expect(p3.nextCursor).toBe(p2.nextCursor);
  });
});
