import type { Database } from '@vsa/common-db';
import { type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../envelope.js';
import { publishEvent } from '../publish/publish-event.js';
import { OrderPlaced, testCatalog } from '../test-support/catalog.js';
import {
  consumerTestDatabase,
  FAST_CONSUMER,
  label,
  publishOrders,
  waitFor,
} from '../test-support/consumer-harness.js';
import { holdTransaction } from '../test-support/held-transaction.js';
import { tickSql } from '../ticker/ticker.js';
import { discardDeadLetters, listDeadLetters } from './admin.js';
import type { SubscribeOptions } from './options.js';
import { getConsumerStatus, LAG_COUNT_LIMIT } from './status.js';
import { type Consumer, subscribe } from './subscribe.js';

const schema = 'status_test';
const fast = FAST_CONSUMER;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('getConsumerStatus rejects bad input before querying (no database)', () => {
  const query = vi.fn(async () => {
    throw new Error('input validation must reject before any query');
  });
  const db = { query } as unknown as Database<unknown>;

  it.each([
    ['db undefined', undefined, {}, /db must be a @vsa\/common-db Database, got undefined/],
    ['db null', null, {}, /db must be a @vsa\/common-db Database/],
    ['db without query', {}, {}, /db must be a @vsa\/common-db Database/],
    ['options null', db, null, /getConsumerStatus\(db, options\): expected an options object/],
    [
      'group ""',
      db,
      { group: '' },
      /getConsumerStatus\(db, options\): group: must be 1-200 characters/,
    ],
    ['group 5', db, { group: 5 }, /getConsumerStatus\(db, options\): group: /],
    [
      'channel with a quote',
      db,
      { channel: "o'rders" },
      /getConsumerStatus\(db, options\): channel: /,
    ],
    ['schema with a quote', db, { schema: 'a"b' }, /schema/i],
  ])('%s', async (_what, badDb, options, message) => {
    await expect(getConsumerStatus(badDb as never, options as never)).rejects.toEqual(
      expect.objectContaining({
        code: 'VSA_EVENTS_INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      }),
    );
    expect(query).not.toHaveBeenCalled();
  });
});

describe.each(testEngines())('getConsumerStatus on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;
  const consumers: Consumer[] = [];

  async function start(options: Omit<SubscribeOptions, 'schema'>): Promise<Consumer> {
    const c = subscribe(db, { schema, ...fast, ...options } as SubscribeOptions);
    consumers.push(c);
    await c.start();
    return c;
  }
  const status = async (group: string) => {
    const s = await getConsumerStatus(db, { schema, group });
    expect(s.groups).toHaveLength(1);
    return { ...s, group: s.groups[0] as (typeof s.groups)[number] };
  };

  beforeAll(async () => {
    t = await consumerTestDatabase(engine, schema);
    db = t.db;
  });
  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await t?.drop();
  });

  it('lag above LAG_COUNT_LIMIT is estimated from the position, within a tenth of the true count', async () => {
    const consumer = await start({
      group: 'big-lag',
      channel: 'orders',
      partitions: 2,
      startFrom: 'now',
      handler: () => {},
    });
    await consumer.stop();
    const total = LAG_COUNT_LIMIT * 3;
    const items = Array.from({ length: total }, (_, i) => ({ key: `big${i}`, n: i }));
    for (let i = 0; i < total; i += 500) await publishOrders(db, schema, items.slice(i, i + 500));
    const { rows } = await db.query<{ part: number; n: number }>(
      `select key_hash % 2 as part, count(*)::integer as n from status_test.events
        where key like 'big%' group by 1 order by 1`,
    );
    const after = await status('big-lag');
    after.group.partitionStatus.forEach((p, i) => {
      const exact = rows[i]?.n ?? 0;
      expect(exact).toBeGreaterThan(LAG_COUNT_LIMIT);
      expect(Math.abs(p.lagEvents - exact)).toBeLessThanOrEqual(exact / 10);
      expect(p.oldestUnprocessedAgeSeconds).not.toBeNull();
    });
    expect(after.group.lagEvents).toBe(
      after.group.partitionStatus.reduce((n, p) => n + p.lagEvents, 0),
    );
  });

  it('a stopped group reports its pending events per partition, their age and its lag in seconds', async () => {
    const seen: string[] = [];
    const consumer = await start({
      group: 'lag',
      channel: 'orders',
      partitions: 3,
      startFrom: 'now',
      handler: (e: StoredEvent) => void seen.push(label(e)),
    });
    await publishOrders(db, schema, [{ key: 'warm', n: 1 }]);
    await waitFor(async () => seen.length === 1 && (await status('lag')).group.lagEvents === 0);
    await consumer.stop();
    const before = await status('lag');
    expect(before.group.partitionStatus.map((p) => p.oldestUnprocessedAgeSeconds)).toEqual([
      null,
      null,
      null,
    ]);

    // The pending events commit (and tick) well after the tick the positions sit on.
    await sleep(60);
    const items = Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, n: i }));
    await publishOrders(db, schema, items.slice(0, 4));
    await publishOrders(db, schema, items.slice(4));
    await sleep(20);
    const { rows } = await db.query<{ part: number; n: number }>(
      `select key_hash % 3 as part, count(*)::integer as n from status_test.events
        where key like 'k%' group by 1`,
    );
    const expected = [0, 1, 2].map((p) => rows.find((r) => r.part === p)?.n ?? 0);
    expect(expected.filter((n) => n > 0).length).toBeGreaterThan(1);

    const after = await status('lag');
    expect(after.group.lagEvents).toBe(7);
    expect(after.group.partitionStatus.map((p) => p.lagEvents)).toEqual(expected);
    for (const p of after.group.partitionStatus) {
      if (p.lagEvents === 0) {
        expect(p).toMatchObject({ lagSeconds: 0, oldestUnprocessedAgeSeconds: null });
      } else {
        // The newest tick is >= 60 ms younger than the tick at the position.
        expect(p.lagSeconds).toBeGreaterThanOrEqual(0.05);
        expect(p.oldestUnprocessedAgeSeconds).toBeGreaterThanOrEqual(0.015);
        expect(p.oldestUnprocessedAgeSeconds).toBeLessThan(30);
      }
      expect(p).toMatchObject({ leaseOwner: null, leaseUntil: null, blockedSeq: null });
    }
    expect(after.lastTick).toBeGreaterThan(before.lastTick as number);
    // Stopped: no member in this process.
    expect(after.group.local).toEqual({
      handled: 0,
      failed: 0,
      deadLettered: 0,
      handlerMs: { count: 0, mean: 0, max: 0 },
    });

    // Resumed, it catches up and the lag is gone.
    const again = await start({
      group: 'lag',
      channel: 'orders',
      partitions: 3,
      handler: (e: StoredEvent) => void seen.push(label(e)),
    });
    await waitFor(async () => (await status('lag')).group.lagEvents === 0);
    expect(seen).toHaveLength(8);
    const done = await status('lag');
    expect(done.group.partitionStatus.every((p) => p.lagSeconds === 0)).toBe(true);
    await again.stop();
  });

  it('counts dead letters that are dead or redriving, and the local members handler counters', async () => {
    const consumer = await start({
      group: 'dl',
      channel: 'orders',
      startFrom: 'now',
      maxAttempts: 2,
      handler: async (e: StoredEvent) => {
        await sleep(3);
        if (e.key?.startsWith('bad')) throw new Error('bad');
      },
    });
    await publishOrders(db, schema, [
      { key: 'bad1', n: 1 },
      { key: 'good', n: 1 },
      { key: 'bad2', n: 1 },
      { key: 'good', n: 2 },
      { key: 'bad3', n: 1 },
    ]);
    await waitFor(async () => (await status('dl')).group.lagEvents === 0);
    const s = await status('dl');
    expect(s.group.deadLetters).toBe(3);
    expect(s.group.local).toMatchObject({ handled: 2, failed: 6, deadLettered: 3 });
    expect(s.group.local.handlerMs.count).toBe(8);
    expect(s.group.local.handlerMs.mean).toBeGreaterThanOrEqual(2);
    expect(s.group.local.handlerMs.max).toBeGreaterThanOrEqual(s.group.local.handlerMs.mean);
    expect(s.group.partitionStatus[0]?.leaseOwner).toBe(consumer.memberId);

    const [first] = await listDeadLetters(db, { schema, group: 'dl' });
    expect(await discardDeadLetters(db, { schema, ids: [first?.id as number] })).toBe(1);
    expect((await status('dl')).group.deadLetters).toBe(2);
    await consumer.stop();
  });

  it.runIf(engine === 'postgres')(
    'oldestTransactions lists the open transaction holding its events back, not any writer',
    async () => {
      // An older write transaction that published nothing: it holds no event back.
      const other = await holdTransaction(db);
      await other.tx.query('select pg_current_xact_id()');
      const [otherPid] = await other.tx.sql<{ pid: number }>`select pg_backend_pid() as pid`;

      const writer = await holdTransaction(db);
      const [me] = await writer.tx.sql<{ pid: number; started: number }>`
        select pg_backend_pid() as pid, extract(epoch from now())::double precision as started`;
      await publishEvent(
        writer.tx,
        OrderPlaced.create({ orderId: 'held', total: 1 }, { key: 'held' }),
        { schema, catalog: testCatalog },
      );
      await sleep(200);
      const check = async () => {
        const s = await getConsumerStatus(db, { schema });
        expect(s.oldestTransactions).toHaveLength(1);
        const [held] = s.oldestTransactions;
        expect(held?.pid).toBe(me?.pid);
        expect(held?.pid).not.toBe(otherPid?.pid);
        const age = Date.now() / 1000 - (me?.started as number);
        expect(held?.ageSeconds).toBeGreaterThanOrEqual(0.2);
        expect(Math.abs((held?.ageSeconds as number) - age)).toBeLessThan(0.5);
        expect(held?.state).toBe('idle in transaction');
      };
      // Began after the newest tick (no tick has it in progress yet) ...
      await check();
      // ... and still listed once a later tick has it in its in-progress list.
      await publishOrders(db, schema, [{ key: 'later', n: 1 }]);
      await check();

      await writer.commit();
      await db.query(tickSql(schema));
      expect((await getConsumerStatus(db, { schema })).oldestTransactions).toEqual([]);
      await other.rollback();
    },
  );

  it.runIf(engine === 'pglite')('oldestTransactions is empty on PGlite', async () => {
    expect((await getConsumerStatus(db, { schema })).oldestTransactions).toEqual([]);
  });
});
