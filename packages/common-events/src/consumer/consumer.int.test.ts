import { createDatabase, type Database } from '@vsa/common-db';
import { type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { getLogContext } from '@vsa/common-logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../envelope.js';
import { publishEvent } from '../publish/publish-event.js';
import { decodeCursor, type Position } from '../read/cursor.js';
import { getEventsByChannel } from '../read/get-events-by-channel.js';
import {
  OrderPlaced,
  OrderShipped,
  PaymentCaptured,
  testCatalog,
} from '../test-support/catalog.js';
import {
  consumerTestDatabase,
  FAST_CONSUMER,
  label,
  publishOrders,
  waitFor,
} from '../test-support/consumer-harness.js';
import { tickSql } from '../ticker/ticker.js';
import {
  discardDeadLetters,
  listDeadLetters,
  pruneEvents,
  redriveDeadLetters,
  resetGroup,
} from './admin.js';
import { consumerSql } from './consumer-sql.js';
import { ConsumerConfigMismatchError, ConsumerStateError } from './errors.js';
import type { SubscribeOptions } from './options.js';
import { getConsumerStatus } from './status.js';
import { type Consumer, subscribe } from './subscribe.js';

const schema = 'consumer_test';
const fast = FAST_CONSUMER;
const atOrAfter = (a: Position, b: Position): boolean =>
  a.tick > b.tick || (a.tick === b.tick && a.seq >= b.seq);

describe.each(testEngines())('consumer groups on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;
  const consumers: Consumer[] = [];
  let groupNo = 0;
  const nextGroup = (): string => `g${++groupNo}`;

  async function start(options: SubscribeOptions): Promise<Consumer> {
    const c = subscribe(db, { schema, ...fast, ...options } as SubscribeOptions);
    consumers.push(c);
    await c.start();
    return c;
  }
  const collector = () => {
    const seen: string[] = [];
    return { seen, handler: (e: StoredEvent) => void seen.push(label(e)) };
  };

  /** Every stored event of `orders`, in delivery order. */
  const allOrders = async (): Promise<StoredEvent[]> =>
    (await getEventsByChannel(db, 'orders', { schema, after: null, limit: 10_000 })).events;
  /** The committed position of a single-partition group. */
  const storedPosition = async (group: string): Promise<Position> => {
    const [row] = await db.sql<{ tick_id: string; seq: string }>`
      select tick_id::text, seq::text from consumer_test.consumer_positions where group_name = ${group}`;
    return { tick: Number(row?.tick_id), seq: Number(row?.seq) };
  };
  const attemptRows = async (group: string) =>
    db.sql<{ attempts: number; finished: number }>`
      select attempts, finished from consumer_test.consumer_attempts where group_name = ${group}`;

  beforeAll(async () => {
    t = await consumerTestDatabase(engine, schema);
    db = t.db;
  });
  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await t?.drop();
  });

  it('delivers a channel in order, groups independently, and releases leases on stop', async () => {
    await publishOrders(
      db,
      schema,
      [1, 2, 3].map((n) => ({ key: 'a', n })),
    );
    const a = collector();
    const b = collector();
    const ga = nextGroup();
    const ca = await start({ group: ga, channel: 'orders', batchSize: 2, handler: a.handler });
    await start({ group: nextGroup(), channel: 'orders', handler: b.handler });
    await waitFor(() => a.seen.length === 3 && b.seen.length === 3);
    await publishOrders(db, schema, [{ key: 'a', n: 4 }]);
    await waitFor(() => a.seen.length === 4 && b.seen.length === 4);
    expect(a.seen).toEqual(['a:1', 'a:2', 'a:3', 'a:4']);
    expect(b.seen).toEqual(a.seen);
    await ca.stop();
    await ca.stop();
    const rows = await db.sql<{ lease_owner: string | null }>`
      select lease_owner from consumer_test.consumer_positions where group_name = ${ga}`;
    expect(rows).toEqual([{ lease_owner: null }]);
    await expect(ca.start()).rejects.toBeInstanceOf(ConsumerStateError);
  });

  it('filters by type and starts a new group at now, a position or a time', async () => {
    await publishOrders(db, schema, [{ key: 'old', n: 1 }]);
    await publishEvent(db, PaymentCaptured.create({ paymentId: 'p', amount: 1 }), {
      schema,
      catalog: testCatalog,
    });
    const marker = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await publishOrders(db, schema, [{ key: 'new', n: 1 }]);
    const now = collector();
    await start({ group: nextGroup(), channel: 'orders', startFrom: 'now', handler: now.handler });
    const byTime = collector();
    await start({
      group: nextGroup(),
      channel: 'orders',
      startFrom: { time: marker },
      handler: byTime.handler,
    });
    await publishOrders(db, schema, [{ key: 'later', n: 1 }]);
    await waitFor(() => now.seen.length === 1 && byTime.seen.length === 2);
    expect(now.seen).toEqual(['later:1']);
    expect(byTime.seen).toEqual(['new:1', 'later:1']);
  });

  it('types: delivers only the selected type of a channel and still moves past the others', async () => {
    const group = nextGroup();
    const typed: string[] = [];
    const c = await start({
      group,
      channel: 'orders',
      startFrom: 'now',
      types: ['OrderShipped'],
      handler: (e) => void typed.push(`${e.type}:${(e.payload as { orderId: string }).orderId}`),
    });
    const placed = (n: number) =>
      OrderPlaced.create({ orderId: `ty${n}`, total: n }, { key: 'ty' });
    const shipped = (n: number) =>
      OrderShipped.create({ orderId: `ty${n}`, carrier: { name: 'dhl' } }, { key: 'ty' });
    // Two types on one channel; the last event is one the group does not take.
    const events = [placed(1), shipped(1), placed(2), shipped(2), placed(3)];
    await publishEvent(db, events, { schema, catalog: testCatalog });
    await db.query(tickSql(schema));
    await waitFor(() => typed.length === 2);
    const last = (await allOrders()).find((e) => e.id === events[4]?.id) as StoredEvent;
    await waitFor(
      async () => atOrAfter(await storedPosition(group), decodeCursor(last.position)),
      15_000,
      'the position past the last, unselected event',
    );
    expect(typed).toEqual(['OrderShipped:ty1', 'OrderShipped:ty2']);
    expect(c.stats().handled).toBe(2);
  });

  it('startFrom { position } starts right after that event; beginning and resetGroup beginning replay the whole channel', async () => {
    await publishOrders(
      db,
      schema,
      [1, 2, 3].map((n) => ({ key: 'sp', n })),
    );
    const stored = await allOrders();
    const first = stored.find((e) => label(e) === 'sp:1') as StoredEvent;
    const after = collector();
    await start({
      group: nextGroup(),
      channel: 'orders',
      startFrom: { position: first.position },
      handler: after.handler,
    });
    await waitFor(() => after.seen.length === 2);
    expect(after.seen).toEqual(['sp:2', 'sp:3']);

    const group = nextGroup();
    const ids: string[] = [];
    await start({
      group,
      channel: 'orders',
      startFrom: 'beginning',
      handler: (e) => void ids.push(e.id),
    });
    const everything = stored.map((e) => e.id);
    expect(everything.length).toBeGreaterThan(3);
    await waitFor(() => ids.length === everything.length);
    expect(ids).toEqual(everything);
    await resetGroup(db, { schema, group, to: 'beginning' });
    await waitFor(() => ids.length === 2 * everything.length);
    expect(ids).toEqual([...everything, ...everything]);
    await publishOrders(db, schema, [{ key: 'sp', n: 4 }]);
    await waitFor(() => after.seen.length === 3 && ids.length === 2 * everything.length + 1);
    expect(after.seen).toEqual(['sp:2', 'sp:3', 'sp:4']);
  });

  it('rejects invalid options and a changed partition count', async () => {
    expect(() => subscribe(db, { group: '', channel: 'orders', handler: () => {} })).toThrow(
      /group/,
    );
    expect(() =>
      subscribe(db, { group: 'x', channel: 'orders', handler: () => {}, batchSize: 0 }),
    ).toThrow(/batchSize/);
    expect(() =>
      subscribe(db, {
        group: 'x',
        channel: 'orders',
        handler: () => {},
        startFrom: { position: 'nope' },
      }),
    ).toThrow(expect.objectContaining({ code: 'VSA_EVENTS_INVALID_CURSOR' }));
    const group = nextGroup();
    await start({ group, channel: 'orders', partitions: 2, handler: () => {} });
    const other = subscribe(db, {
      schema,
      group,
      channel: 'orders',
      partitions: 3,
      handler: () => {},
    });
    await expect(other.start()).rejects.toBeInstanceOf(ConsumerConfigMismatchError);

    // A member with other types is refused the same way; the stored filter is unchanged.
    const typedGroup = nextGroup();
    const options = { schema, group: typedGroup, channel: 'orders', handler: () => {} };
    await start({ ...options, types: ['OrderPlaced', 'OrderShipped'] });
    for (const types of [['OrderPlaced'], undefined]) {
      const member = subscribe(db, { ...options, ...(types === undefined ? {} : { types }) });
      const error = await member.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConsumerConfigMismatchError);
      expect(error).toMatchObject({
        code: 'VSA_EVENTS_CONSUMER_CONFIG_MISMATCH',
        message: expect.stringMatching(/delivers types \[OrderPlaced, OrderShipped\]/),
      });
      expect(member.running).toBe(false);
    }
    // Same set in another order: the same filter, accepted.
    await start({ ...options, types: ['OrderShipped', 'OrderPlaced', 'OrderShipped'] });
    const [row] = await db.sql<{ types: string[] }>`
      select types from consumer_test.consumer_groups where group_name = ${typedGroup}`;
    expect(row?.types).toEqual(['OrderPlaced', 'OrderShipped']);
  });

  it('types change once no other member is alive: refused while an old member runs, then stored and delivered', async () => {
    const group = nextGroup();
    const seen: string[] = [];
    const handler = (e: StoredEvent) =>
      void seen.push(`${e.type}:${(e.payload as { orderId: string }).orderId}`);
    const warnings: { obj: unknown; msg: string }[] = [];
    const noop = () => {};
    const logger = {
      debug: noop,
      info: noop,
      error: noop,
      warn: (obj: unknown, msg: string) => void warnings.push({ obj, msg }),
    };
    const options = { group, channel: 'orders', startFrom: 'now', handler, logger } as const;
    const old = await start({ ...options, types: ['OrderPlaced'] });
    const placed = (id: string) => OrderPlaced.create({ orderId: id, total: 1 }, { key: 'tc' });
    const shipped = (id: string) =>
      OrderShipped.create({ orderId: id, carrier: { name: 'dhl' } }, { key: 'tc' });

    // Rolling deploy, old pod still alive: the new pod is refused, the stored types unchanged.
    const early = subscribe(db, {
      schema,
      ...fast,
      ...options,
      types: ['OrderPlaced', 'OrderShipped'],
    });
    const error = await early.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConsumerConfigMismatchError);
    expect(error).toMatchObject({
      code: 'VSA_EVENTS_CONSUMER_CONFIG_MISMATCH',
      message: expect.stringMatching(
        new RegExp(
          `delivers types \\[OrderPlaced\\], subscribe asked for types \\[OrderPlaced, OrderShipped\\].*\\(${old.memberId}\\): stop the old members first`,
        ),
      ),
    });
    expect(early.running).toBe(false);
    const storedTypes = async () =>
      (
        await db.sql<{ types: string[] | null }>`
          select types from consumer_test.consumer_groups where group_name = ${group}`
      )[0]?.types;
    expect(await storedTypes()).toEqual(['OrderPlaced']);
    // The refused member left nothing behind that would count as alive.
    const members = await db.sql<{ member_id: string }>`
      select member_id from consumer_test.consumer_members where group_name = ${group}`;
    expect(members.map((m) => m.member_id)).toEqual([old.memberId]);

    const first = [placed('o1'), shipped('s1')];
    await publishEvent(db, first, { schema, catalog: testCatalog });
    await db.query(tickSql(schema));
    const s1 = (await allOrders()).find((e) => e.id === first[1]?.id) as StoredEvent;
    await waitFor(
      async () => atOrAfter(await storedPosition(group), decodeCursor(s1.position)),
      15_000,
      'the old member past s1',
    );
    await old.stop();
    expect(seen).toEqual(['OrderPlaced:o1']);

    // Old pod gone: the new one starts and the group delivers both types from its position on.
    const next = await start({ ...options, types: ['OrderShipped', 'OrderPlaced'] });
    expect(next.running).toBe(true);
    expect(await storedTypes()).toEqual(['OrderShipped', 'OrderPlaced']);
    expect(warnings).toEqual([
      {
        obj: expect.objectContaining({
          group,
          from: ['OrderPlaced'],
          to: ['OrderShipped', 'OrderPlaced'],
        }),
        msg: expect.stringMatching(
          /group types changed from \[OrderPlaced\] to \[OrderPlaced, OrderShipped\]/,
        ),
      },
    ]);
    await publishEvent(db, [shipped('s2'), placed('o2')], { schema, catalog: testCatalog });
    await db.query(tickSql(schema));
    await waitFor(() => seen.length === 3);
    // s1 was passed by the old member before the change: only later events of the new type.
    expect(seen).toEqual(['OrderPlaced:o1', 'OrderShipped:s2', 'OrderPlaced:o2']);

    // And a member with the old types is now the one refused while the new one runs.
    const stale = subscribe(db, { schema, ...fast, ...options, types: ['OrderPlaced'] });
    await expect(stale.start()).rejects.toThrow(/stop the old members first/);
    expect(await storedTypes()).toEqual(['OrderShipped', 'OrderPlaced']);
  });

  it('graceful stop() counts no attempt: a retry after stop() during its backoff is attempt 2', async () => {
    const group = nextGroup();
    const calls: string[] = [];
    const options = {
      group,
      channel: 'orders',
      startFrom: 'now',
      backoff: { initialMs: 1_000, maxMs: 1_000, jitter: 0 },
      handler: (e: StoredEvent, ctx: { attempt: number }) => {
        calls.push(`${label(e)}#${ctx.attempt}`);
        if (ctx.attempt === 1 && label(e) === 'bo:1') throw new Error('fails once');
      },
    } as const;
    const first = await start(options);
    await publishOrders(db, schema, [{ key: 'bo', n: 1 }]);
    await waitFor(async () => (await attemptRows(group)).length === 1);
    await first.stop();
    expect(calls).toEqual(['bo:1#1']);
    expect(await attemptRows(group)).toEqual([{ attempts: 1, finished: 1 }]);
    const second = await start(options);
    // Released on stop: the next member claims cleanly (no guarded replay counting starts).
    expect(second.stats().partitions[0]?.guardedRemaining).toBe(0);
    await waitFor(() => calls.length === 2);
    expect(calls).toEqual(['bo:1#1', 'bo:1#2']);
    await waitFor(async () => (await attemptRows(group)).length === 0);
    expect(await listDeadLetters(db, { schema, group })).toEqual([]);
  });

  it.runIf(engine === 'postgres')(
    'one LISTEN connection per process for any number of consumers; none with listen: false',
    async () => {
      const app = `vsa-one-listen-${process.pid}`;
      const listeners = async (name: string) =>
        (
          await db.sql<{ n: number; queries: string[] }>`
            select count(*)::int as n, array_agg(query) as queries from pg_stat_activity
             where application_name = ${`${name}:listen`} and datname = current_database()`
        )[0];
      const listening = await createDatabase({
        url: t.url,
        pool: { max: 4, applicationName: app },
      });
      const polling = await createDatabase({
        url: t.url,
        pool: { max: 4, applicationName: `${app}-poll` },
      });
      const mine: Consumer[] = [];
      const seen: string[] = [];
      const on = async (on: Database<unknown>, listen: boolean) => {
        const c = subscribe(on, {
          schema,
          ...fast,
          group: nextGroup(),
          channel: 'orders',
          startFrom: 'now',
          listen,
          handler: (e) => void seen.push(label(e)),
        });
        mine.push(c);
        await c.start();
        return c;
      };
      try {
        const three = [
          await on(listening, true),
          await on(listening, true),
          await on(listening, true),
        ];
        const quiet = [
          await on(polling, false),
          await on(polling, false),
          await on(polling, false),
        ];
        const active = await listeners(app);
        expect(active?.n).toBe(1);
        expect(active?.queries[0]).toMatch(/^LISTEN /i);
        expect(three.map((c) => c.stats().listening)).toEqual([true, true, true]);
        expect((await listeners(`${app}-poll`))?.n).toBe(0);
        expect(quiet.map((c) => c.stats().listening)).toEqual([false, false, false]);
        await publishOrders(db, schema, [{ key: 'one-listen', n: 1 }]);
        await waitFor(() => seen.length === 6);
      } finally {
        for (const c of mine) await c.stop();
        await listening.close();
        await polling.close();
      }
    },
  );

  it('runs every handler inside a log context (ids from metadata)', async () => {
    const group = nextGroup();
    const seen: unknown[] = [];
    await start({
      group,
      channel: 'orders',
      startFrom: 'now',
      handler: () => void seen.push(getLogContext()),
    });
    const event = OrderPlaced.create(
      { orderId: 'ctx', total: 1 },
      { key: 'ctx', metadata: { correlationId: 'corr-1', causationId: 'cause-1' } },
    );
    await publishEvent(db, event, { schema, catalog: testCatalog });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toEqual({
      eventId: event.id,
      consumer: group,
      correlationId: 'corr-1',
      causationId: 'cause-1',
    });
  });

  it('a rolled-back publish is never delivered and does not stall the ones after it', async () => {
    const c = collector();
    await start({ group: nextGroup(), channel: 'orders', startFrom: 'now', handler: c.handler });
    await db
      .transaction(async (tx) => {
        await publishEvent(tx, OrderPlaced.create({ orderId: 'rb', total: 1 }, { key: 'rb' }), {
          schema,
        });
        throw new Error('roll back');
      })
      .catch(() => {});
    await publishOrders(db, schema, [{ key: 'ok', n: 1 }]);
    await waitFor(() => c.seen.length === 1);
    expect(c.seen).toEqual(['ok:1']);
  });

  it('transactional mode: handler writes and the position commit together; failures roll both back', async () => {
    await db.query(
      'create table if not exists consumer_test.effects (event_id uuid primary key, n int)',
    );
    const group = nextGroup();
    let failOnce = true;
    await start({
      group,
      channel: 'orders',
      mode: 'transactional',
      startFrom: 'now',
      batchSize: 10,
      handler: async (e, { tx }) => {
        await tx.query('insert into consumer_test.effects values ($1, $2)', [
          e.id,
          (e.payload as { total: number }).total,
        ]);
        if ((e.payload as { total: number }).total === 3 && failOnce) {
          failOnce = false;
          throw new Error('third fails once');
        }
      },
    });
    await publishOrders(
      db,
      schema,
      [1, 2, 3, 4].map((n) => ({ key: 'tx', n })),
    );
    await waitFor(async () => (await db.sql`select 1 from consumer_test.effects`).length === 4);
    await new Promise((r) => setTimeout(r, 100));
    const rows = await db.sql<{ n: number }>`select n from consumer_test.effects order by n`;
    expect(rows.map((r) => r.n)).toEqual([1, 2, 3, 4]);
    const status = await getConsumerStatus(db, { schema, group });
    expect(status.groups[0]?.lagEvents).toBe(0);
    expect(status.groups[0]?.local.failed).toBe(1);
  });

  it('park: retries with backoff, dead-letters, keeps flowing, redrive delivers once', async () => {
    const group = nextGroup();
    const calls: string[] = [];
    let poisonHealed = false;
    await start({
      group,
      channel: 'orders',
      startFrom: 'now',
      maxAttempts: 3,
      handler: (e, ctx) => {
        calls.push(`${label(e)}#${ctx.attempt}`);
        if (label(e) === 'p:2' && !poisonHealed) throw new Error('poison');
      },
    });
    await publishOrders(
      db,
      schema,
      [1, 2, 3].map((n) => ({ key: 'p', n })),
    );
    await waitFor(() => calls.includes('p:3#1'));
    expect(calls).toEqual(['p:1#1', 'p:2#1', 'p:2#2', 'p:2#3', 'p:3#1']);
    const letters = await listDeadLetters(db, { schema, group });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ attempts: 3, status: 'dead', error: { message: 'poison' } });
    poisonHealed = true;
    expect(await redriveDeadLetters(db, { schema, ids: [letters[0]?.id as number] })).toBe(1);
    await waitFor(() => calls.length === 6);
    // A redrive starts the count again (the letter keeps the total).
    expect(calls[5]).toBe('p:2#1');
    await waitFor(
      async () => (await listDeadLetters(db, { schema, group, status: 'redriven' })).length === 1,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toHaveLength(6);
  });

  it('block: the partition stops at the poison event, reports it, and resumes on redrive or discard', async () => {
    const group = nextGroup();
    const calls: string[] = [];
    let heal = false;
    await start({
      group,
      channel: 'orders',
      startFrom: 'now',
      maxAttempts: 2,
      onFailure: 'block',
      handler: (e) => {
        if ((label(e) === 'b:2' || label(e) === 'b:4') && !heal) throw new Error('poison');
        calls.push(label(e));
      },
    });
    await publishOrders(
      db,
      schema,
      [1, 2, 3, 4, 5].map((n) => ({ key: 'b', n })),
    );
    await waitFor(async () => (await listDeadLetters(db, { schema, group })).length === 1);
    const status = await getConsumerStatus(db, { schema, group });
    expect(status.groups[0]?.partitionStatus[0]?.blockedSeq).not.toBeNull();
    expect(status.groups[0]?.deadLetters).toBe(1);
    expect(calls).toEqual(['b:1']);
    heal = true;
    await redriveDeadLetters(db, { schema, group });
    await waitFor(() => calls.length === 5);
    expect(calls).toEqual(['b:1', 'b:2', 'b:3', 'b:4', 'b:5']);

    // Discard: the partition moves past the poison event.
    heal = false;
    calls.length = 0;
    await publishOrders(
      db,
      schema,
      [2, 6].map((n) => ({ key: 'b', n })),
    );
    await waitFor(async () => (await listDeadLetters(db, { schema, group })).length === 1);
    expect(await discardDeadLetters(db, { schema, group })).toBe(1);
    await waitFor(() => calls.length === 1);
    expect(calls).toEqual(['b:6']);
  });

  it('block: a redrive landing while the blocked partition checks its letter is delivered once, at the head', async () => {
    // The run loop checks a blocked partition's letter, then reads redriven letters to deliver.
    // A redrive committed between the two used to be delivered by both (b:2 twice).
    const group = nextGroup();
    const calls: string[] = [];
    let heal = false;
    let redriveAfterCheck = false;
    const checkSql = consumerSql(schema).blockedLetter;
    const racing = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver);
        return async (text: string, params?: readonly unknown[]) => {
          const result = await target.query(text, params);
          if (text === checkSql && redriveAfterCheck) {
            redriveAfterCheck = false;
            heal = true;
            await redriveDeadLetters(db, { schema, group });
          }
          return result;
        };
      },
    });
    const c = subscribe(racing, {
      schema,
      ...fast,
      group,
      channel: 'orders',
      startFrom: 'now',
      maxAttempts: 1,
      onFailure: 'block',
      handler: (e) => {
        if (label(e) === 'race:2' && !heal) throw new Error('poison');
        calls.push(label(e));
      },
    });
    consumers.push(c);
    await c.start();
    await publishOrders(
      db,
      schema,
      [1, 2, 3].map((n) => ({ key: 'race', n })),
    );
    await waitFor(async () => (await listDeadLetters(db, { schema, group })).length === 1);
    redriveAfterCheck = true;
    await waitFor(() => calls.length >= 3);
    await new Promise((r) => setTimeout(r, 200));
    expect(calls).toEqual(['race:1', 'race:2', 'race:3']);
    expect(await listDeadLetters(db, { schema, group, status: 'redriven' })).toHaveLength(1);
  });

  it.each(['park', 'block'] as const)(
    'a redriven event is delivered as attempt 1 (onFailure %s), and the letter keeps the total',
    async (onFailure) => {
      const group = nextGroup();
      const calls: string[] = [];
      let heal = false;
      await start({
        group,
        channel: 'orders',
        startFrom: 'now',
        maxAttempts: 3,
        onFailure,
        handler: (e, ctx) => {
          calls.push(`${label(e)}#${ctx.attempt}`);
          if (label(e) === `${onFailure}:1` && !heal) throw new Error('poison');
        },
      });
      await publishOrders(db, schema, [{ key: onFailure, n: 1 }]);
      await waitFor(async () => (await listDeadLetters(db, { schema, group })).length === 1);
      expect(calls).toEqual([1, 2, 3].map((n) => `${onFailure}:1#${n}`));
      heal = true;
      expect(await redriveDeadLetters(db, { schema, group })).toBe(1);
      await waitFor(() => calls.length === 4);
      expect(calls[3]).toBe(`${onFailure}:1#1`);
    },
  );

  it('partitions: one key stays in order, every partition is served, positions are per partition', async () => {
    const group = nextGroup();
    const byKey = new Map<string, number[]>();
    const parts = new Set<number>();
    await start({
      group,
      channel: 'orders',
      partitions: 4,
      startFrom: 'now',
      handler: (e, ctx) => {
        parts.add(ctx.partition);
        const p = e.payload as { orderId: string; total: number };
        byKey.set(p.orderId, [...(byKey.get(p.orderId) ?? []), p.total]);
      },
    });
    const items = [];
    for (let n = 1; n <= 5; n++) for (let k = 0; k < 20; k++) items.push({ key: `k${k}`, n });
    await publishOrders(db, schema, items);
    await waitFor(() => [...byKey.values()].reduce((s, v) => s + v.length, 0) === 100);
    for (const values of byKey.values()) expect(values).toEqual([1, 2, 3, 4, 5]);
    expect(parts.size).toBe(4);
    const status = await getConsumerStatus(db, { schema, group });
    expect(status.groups[0]?.partitionStatus).toHaveLength(4);
  });

  it('resetGroup replays exactly the events from a position, in order; other groups are unaffected', async () => {
    const group = nextGroup();
    const a = collector();
    const b = collector();
    const ca = await start({ group, channel: 'orders', startFrom: 'now', handler: a.handler });
    await start({ group: nextGroup(), channel: 'orders', startFrom: 'now', handler: b.handler });
    await publishOrders(
      db,
      schema,
      [1, 2, 3].map((n) => ({ key: 'r', n })),
    );
    await waitFor(() => a.seen.length === 3 && b.seen.length === 3);
    const page = await (await import('../read/get-events-by-channel.js')).getEventsByChannel(
      db,
      'orders',
      {
        schema,
        after: null,
        limit: 10_000,
      },
    );
    const first = page.events.find((e) => label(e) === 'r:1') as StoredEvent;
    await resetGroup(db, { schema, group, to: { position: first.position } });
    await waitFor(() => a.seen.length === 5);
    expect(a.seen).toEqual(['r:1', 'r:2', 'r:3', 'r:2', 'r:3']);
    await new Promise((r) => setTimeout(r, 100));
    expect(b.seen).toEqual(['r:1', 'r:2', 'r:3']);
    expect(ca.stats().partitions[0]?.epoch).toBeGreaterThan(1);
    await expect(resetGroup(db, { schema, group: 'nope', to: 'beginning' })).rejects.toThrow(
      /does not exist/,
    );
  });

  it('time: resetGroup to a time replays the events committed from then on', async () => {
    const group = nextGroup();
    const c = collector();
    await start({ group, channel: 'orders', startFrom: 'now', handler: c.handler });
    await publishOrders(db, schema, [{ key: 'tm', n: 1 }]);
    await waitFor(() => c.seen.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    const marker = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await publishOrders(
      db,
      schema,
      [2, 3].map((n) => ({ key: 'tm', n })),
    );
    await waitFor(() => c.seen.length === 3);
    await resetGroup(db, { schema, group, to: { time: marker } });
    await waitFor(() => c.seen.length === 5);
    expect(c.seen).toEqual(['tm:1', 'tm:2', 'tm:3', 'tm:2', 'tm:3']);
  });

  it('shares partitions between members and hands them over without redelivery', async () => {
    const group = nextGroup();
    const seen: string[] = [];
    const handler = (e: StoredEvent) => void seen.push(label(e));
    const options = {
      group,
      channel: 'orders',
      partitions: 4,
      startFrom: 'now',
      leaseMs: 600,
      handler,
    } as const;
    const first = await start(options);
    expect(first.stats().partitions).toHaveLength(4);
    const second = await start(options);
    await waitFor(
      () => first.stats().partitions.length === 2 && second.stats().partitions.length === 2,
      15_000,
      'an even split',
    );
    const items = [];
    for (let n = 1; n <= 3; n++) for (let k = 0; k < 8; k++) items.push({ key: `s${k}`, n });
    await publishOrders(db, schema, items);
    await waitFor(() => seen.length === 24);
    await second.stop();
    await waitFor(
      () => first.stats().partitions.length === 4,
      15_000,
      'takeover after a graceful stop',
    );
    await publishOrders(db, schema, [{ key: 's0', n: 4 }]);
    await waitFor(() => seen.length === 25);
    expect(new Set(seen).size).toBe(25);
  });

  it('stop() finishes the batch in flight and stores its position; the rest starts at attempt 1', async () => {
    const group = nextGroup();
    const seen: string[] = [];
    let entered!: () => void;
    const inBatch = new Promise<void>((r) => {
      entered = r;
    });
    const c = await start({
      group,
      channel: 'orders',
      startFrom: 'now',
      batchSize: 3,
      handler: async (e, ctx) => {
        entered();
        await new Promise((r) => setTimeout(r, 20));
        seen.push(`${label(e)}#${ctx.attempt}`);
      },
    });
    await publishOrders(
      db,
      schema,
      [1, 2, 3, 4, 5].map((n) => ({ key: 'st', n })),
    );
    await inBatch;
    await c.stop();
    expect(seen).toEqual(['st:1#1', 'st:2#1', 'st:3#1']);
    expect(await attemptRows(group)).toEqual([]);
    const again: string[] = [];
    const next = await start({
      group,
      channel: 'orders',
      handler: (e, ctx) => void again.push(`${label(e)}#${ctx.attempt}`),
    });
    expect(next.stats().partitions[0]?.guardedRemaining).toBe(0);
    await publishOrders(db, schema, [{ key: 'st', n: 6 }]);
    await waitFor(() => again.length === 3);
    expect(again).toEqual(['st:4#1', 'st:5#1', 'st:6#1']);
    expect(await attemptRows(group)).toEqual([]);
  });

  it('in process: a fenced-out worker cannot move the position, which never goes backwards', async () => {
    const group = nextGroup();
    let release!: () => void;
    const paused = new Promise<void>((r) => {
      release = r;
    });
    const seen: string[] = [];
    await start({
      group,
      channel: 'orders',
      startFrom: 'now',
      handler: async (e) => {
        if (label(e) === 'z:1') await paused;
        seen.push(label(e));
      },
    });
    await publishOrders(db, schema, [{ key: 'z', n: 1 }]);
    await new Promise((r) => setTimeout(r, 100));
    // Another live worker (its heartbeat current) takes the partition over, as after an
    // expired lease, and moves on.
    await db.query(
      `insert into consumer_test.consumer_members (group_name, channel, member_id, heartbeat_until)
       values ($1, 'orders', 'other', now() + interval '1 hour')`,
      [group],
    );
    await db.query(
      `update consumer_test.consumer_positions set lease_owner = 'other', lease_epoch = lease_epoch + 1,
         tick_id = (select max(tick_id) from consumer_test.ticks), seq = (select max(seq) from consumer_test.events)
       where group_name = $1`,
      [group],
    );
    const before = await db.sql<{ tick_id: unknown; seq: unknown }>`
      select tick_id, seq from consumer_test.consumer_positions where group_name = ${group}`;
    release();
    await waitFor(() => seen.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    const after = await db.sql<{ tick_id: unknown; seq: unknown; lease_owner: string }>`
      select tick_id, seq, lease_owner from consumer_test.consumer_positions where group_name = ${group}`;
    expect(after[0]).toMatchObject({ ...before[0], lease_owner: 'other' });
  });

  it('poll-only mode and a failing LISTEN still deliver', async () => {
    const polled = collector();
    await start({
      group: nextGroup(),
      channel: 'orders',
      startFrom: 'now',
      listen: false,
      handler: polled.handler,
    });
    const broken = new Proxy(db, {
      get(target, prop, receiver) {
        if (prop === 'listen')
          return () => Promise.reject(new Error('LISTEN not supported (pgbouncer)'));
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const fallback = collector();
    const c = subscribe(broken, {
      schema,
      ...fast,
      group: nextGroup(),
      channel: 'orders',
      startFrom: 'now',
      handler: fallback.handler,
    });
    consumers.push(c);
    await c.start();
    expect(c.stats().listening).toBe(false);
    await publishEvent(db, OrderPlaced.create({ orderId: 'poll', total: 1 }, { key: 'poll' }), {
      schema,
      catalog: testCatalog,
    });
    await waitFor(() => polled.seen.length === 1 && fallback.seen.length === 1);
  });

  it('pruneEvents keeps what a group has not passed and reports a stalled group', async () => {
    const group = nextGroup();
    const seen: number[] = [];
    const handler = (e: StoredEvent) => void seen.push((e.payload as { amount: number }).amount);
    const pay = async (amount: number) => {
      await publishEvent(
        db,
        PaymentCaptured.create({ paymentId: 'keep', amount }, { key: 'keep' }),
        {
          schema,
          catalog: testCatalog,
        },
      );
      await db.query(tickSql(schema));
    };
    const consumer = await start({ group, channel: 'payments', startFrom: 'now', handler });
    await pay(1);
    await waitFor(() => seen.length === 1);
    await consumer.stop();
    await pay(2);
    const result = await pruneEvents(db, {
      schema,
      olderThan: new Date(Date.now() + 60_000),
      lagLimitSeconds: 0,
    });
    expect(result.deletedEvents).toBeGreaterThan(0);
    const left = await db.sql<{ amount: number }>`
      select (payload->>'amount')::int as amount from consumer_test.events where key = 'keep'`;
    expect(left).toEqual([{ amount: 2 }]);
    expect(result.stalled.some((s) => s.group === group)).toBe(true);
    // The stopped group resumes exactly at the kept event.
    seen.length = 0;
    await start({ group, channel: 'payments', handler });
    await waitFor(() => seen.length >= 1);
    expect(seen).toEqual([2]);
    await expect(pruneEvents(db, { schema, olderThan: 'yesterday' as never })).rejects.toThrow(
      /olderThan/,
    );
  });
});
