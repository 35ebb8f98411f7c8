import type { Database } from '@vsa/common-db';
import { type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StoredEvent } from '../envelope.js';
import { installEventStore } from '../install.js';
import { publishEvent } from '../publish/publish-event.js';
import { PaymentCaptured, testCatalog } from '../test-support/catalog.js';
import {
  consumerTestDatabase,
  FAST_CONSUMER,
  label,
  publishOrders,
  waitFor,
} from '../test-support/consumer-harness.js';
import { createTicker, tickSql } from '../ticker/ticker.js';
import {
  DeadLetterEventMissingError,
  discardDeadLetters,
  listDeadLetters,
  pruneEvents,
  redriveDeadLetters,
  resetGroup,
} from './admin.js';
import type { SubscribeOptions } from './options.js';
import { getConsumerStatus } from './status.js';
import { type Consumer, subscribe } from './subscribe.js';

const fast = FAST_CONSUMER;
const future = (): Date => new Date(Date.now() + 60_000);

/** A database stand-in that fails the test if anything reaches it. */
function untouchedDb() {
  const query = vi.fn(async () => {
    throw new Error('input validation must reject before any query');
  });
  return { db: { query, transaction: query } as unknown as Database<unknown>, query };
}

const invalid = (message: RegExp) =>
  expect.objectContaining({
    code: 'VSA_EVENTS_INVALID_ARGUMENT',
    message: expect.stringMatching(message),
  });

describe('admin functions reject bad input before querying (no database)', () => {
  const { db, query } = untouchedDb();

  it.each([
    [
      'options null',
      null,
      /^listDeadLetters\(db, options\): expected an options object \(got null\)$/,
    ],
    [
      'status bogus',
      { status: 'bogus' },
      /status: must be one of dead, redriving, redriven, discarded/,
    ],
    ['afterId "x"', { afterId: 'x' }, /afterId: must be a dead letter id \(an integer >= 0\)$/],
    ['afterId -1', { afterId: -1 }, /afterId: .*\(got -1\)$/],
    ['afterId 1.5', { afterId: 1.5 }, /afterId: /],
    ['limit 0', { limit: 0 }, /limit: must be an integer from 1 to 10000 \(got 0\)$/],
    ['limit "5"', { limit: '5' }, /limit: /],
    ['group ""', { group: '' }, /^listDeadLetters\(db, options\): group: must be 1-200 characters/],
    ['group 5', { group: 5 }, /group: /],
    ['channel {}', { channel: {} }, /listDeadLetters\(db, options\): channel: /],
    [
      'an unknown key',
      { grop: 'g' },
      /unknown option "grop" \(accepted: schema, group, channel, status, limit, afterId\)/,
    ],
  ])('listDeadLetters: %s', async (_what, options, message) => {
    await expect(listDeadLetters(db, options as never)).rejects.toEqual(invalid(message));
  });

  it.each([
    ['null', null, /expected an options object/],
    ['{}', {}, /takes \{ ids \} or \{ group, channel\? \}: give one/],
    ['ids "1"', { ids: '1' }, /ids: must be an array of dead letter ids/],
    ['ids [0]', { ids: [0] }, /ids\.0: must be a dead letter id/],
    ['ids [NaN]', { ids: [Number.NaN] }, /ids\.0: must be a dead letter id/],
    ['ids and group', { ids: [1], group: 'g' }, /not both/],
    ['group ""', { group: '' }, /group: must be/],
    ['group with a space', { group: 'a b' }, /group: must be/],
    ['channel 5', { group: 'g', channel: 5 }, /channel: must be/],
    [
      'an unknown key',
      { group: 'g', id: 5 },
      /unknown option "id" \(accepted: schema, ids, group, channel\)/,
    ],
  ])('redrive and discard selections: %s', async (_what, selection, message) => {
    await expect(redriveDeadLetters(db, selection as never)).rejects.toEqual(
      invalid(new RegExp(`^redriveDeadLetters\\(db, selection\\): .*${message.source}`)),
    );
    await expect(discardDeadLetters(db, selection as never)).rejects.toEqual(
      invalid(new RegExp(`^discardDeadLetters\\(db, selection\\): .*${message.source}`)),
    );
  });

  it.each([
    ['group ""', { group: '', to: 'now' }, /resetGroup\(db, options\): group: must be/],
    [
      'channel ""',
      { group: 'g', channel: '', to: 'now' },
      /resetGroup\(db, options\): channel: must be/,
    ],
    ['channel 7', { group: 'g', channel: 7, to: 'now' }, /resetGroup\(db, options\): channel: /],
    [
      'to "later"',
      { group: 'g', to: 'later' },
      /resetGroup\(db, options\): to: must be 'beginning', 'now'/,
    ],
    [
      'to a position that is not a string',
      { group: 'g', to: { position: 5 } },
      /to: must be 'beginning', 'now'/,
    ],
    ['an unknown key', { group: 'g', to: 'now', from: 'now' }, /unknown option "from"/],
  ])('resetGroup: %s', async (_what, options, message) => {
    await expect(resetGroup(db, options as never)).rejects.toEqual(invalid(message));
  });

  it.each([
    ['olderThan a string', { olderThan: 'yesterday' }, /olderThan: must be a valid Date/],
    ['olderThan an invalid Date', { olderThan: new Date('x') }, /olderThan: must be a valid Date/],
    [
      'lagLimitSeconds "5"',
      { olderThan: new Date(), lagLimitSeconds: '5' },
      /lagLimitSeconds: must be a number >= 0/,
    ],
    [
      'lagLimitSeconds -1',
      { olderThan: new Date(), lagLimitSeconds: -1 },
      /lagLimitSeconds: .*\(got -1\)/,
    ],
    [
      'an unknown key',
      { olderThan: new Date(), lagLimit: 5 },
      /unknown option "lagLimit" \(accepted: schema, olderThan, lagLimitSeconds\)/,
    ],
  ])('pruneEvents: %s', async (_what, options, message) => {
    await expect(pruneEvents(db, options as never)).rejects.toEqual(invalid(message));
  });

  it.each([
    [
      'an unknown key',
      { group: 'g', chanel: 'x' },
      /^getConsumerStatus\(db, options\): unknown option "chanel" \(accepted: schema, group, channel\)$/,
    ],
    [
      'a bad schema',
      { schema: 'A' },
      /^getConsumerStatus\(db, options\): schema: use lower-case letters/,
    ],
  ])('getConsumerStatus: %s', async (_what, options, message) => {
    await expect(getConsumerStatus(db, options as never)).rejects.toEqual(invalid(message));
  });

  it('resetGroup refuses a malformed cursor with its own code', async () => {
    await expect(resetGroup(db, { group: 'g', to: { position: 'x' } })).rejects.toMatchObject({
      code: 'VSA_EVENTS_INVALID_CURSOR',
    });
  });

  it('sent no query for any of them', () => {
    expect(query).not.toHaveBeenCalled();
  });
});

describe('subscribe checks logger, ticker and catalog (no database)', () => {
  const { db } = untouchedDb();
  const base = { group: 'g', channel: 'orders', handler: () => {} };
  const logger = { debug() {}, info() {}, warn() {}, error() {} };

  it.each([
    [
      'a logger that is a string',
      { logger: 'pino' },
      /logger: must be a pino-compatible logger.*missing debug, info, warn, error/,
    ],
    [
      'a logger without debug',
      { logger: { info() {}, warn() {}, error() {} } },
      /missing debug \(got an object\)$/,
    ],
    [
      'a logger whose warn is not a function',
      { logger: { ...logger, warn: true } },
      /missing warn \(got an object\)$/,
    ],
    ['a ticker without onTick', { ticker: { running: true } }, /ticker: must be a Ticker/],
    [
      'a ticker without running',
      { ticker: { onTick: () => () => {} } },
      /ticker: must be a Ticker/,
    ],
    [
      'a catalog without upcast',
      { catalog: { validate() {} } },
      /catalog: must come from defineCatalog/,
    ],
    ['a null catalog', { catalog: null }, /catalog: must come from defineCatalog/],
  ])('rejects %s', (_what, extra, message) => {
    expect(() => subscribe(db, { ...base, ...extra } as unknown as SubscribeOptions)).toThrow(
      invalid(message),
    );
  });

  it('accepts a pino-like logger, a real ticker and a catalog', () => {
    const ticker = createTicker({ db: { query: async () => ({ rows: [] }) } });
    const consumer = subscribe(db, { ...base, logger, ticker, catalog: testCatalog });
    expect(consumer.running).toBe(false);
  });
});

describe.each(testEngines())('consumer admin on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;
  const consumers: Consumer[] = [];
  let schemaNo = 0;

  /** Every test gets its own schema: retention sees only that test's groups and events. */
  async function freshSchema(): Promise<string> {
    const schema = `admin_${++schemaNo}`;
    await installEventStore(db, { schema });
    return schema;
  }
  async function start(schema: string, options: Omit<SubscribeOptions, 'schema'>) {
    const c = subscribe(db, { schema, ...fast, ...options } as SubscribeOptions);
    consumers.push(c);
    await c.start();
    return c;
  }
  const events = (schema: string) =>
    db.query<{ seq: string; key: string; n: number; key_hash: number }>(
      `select seq::text as seq, key, (payload->>'total')::int as n, key_hash
         from "${schema}".events order by seq`,
    );
  const caughtUp = async (schema: string, group: string) =>
    (await getConsumerStatus(db, { schema, group })).groups[0]?.lagEvents === 0;

  beforeAll(async () => {
    t = await consumerTestDatabase(engine, 'admin_0');
    db = t.db;
  });
  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await t?.drop();
  });

  it('pruneEvents keeps the event of a dead letter the group has passed, and the redrive delivers it', async () => {
    const schema = await freshSchema();
    const seen: string[] = [];
    let heal = false;
    const consumer = await start(schema, {
      group: 'g',
      channel: 'orders',
      maxAttempts: 1,
      handler: (e: StoredEvent) => {
        if (e.key === 'poison' && !heal) throw new Error('poison');
        seen.push(label(e));
      },
    });
    await publishOrders(db, schema, [
      { key: 'poison', n: 1 },
      { key: 'poison', n: 2 },
      { key: 'ok', n: 1 },
    ]);
    await waitFor(async () => seen.includes('ok:1') && (await caughtUp(schema, 'g')));
    const [kept, dropped] = await listDeadLetters(db, { schema, group: 'g' });
    expect([kept?.seq, dropped?.seq]).toEqual(
      (await events(schema)).rows.filter((r) => r.key === 'poison').map((r) => Number(r.seq)),
    );
    // A discarded letter no longer holds its event; a dead one does.
    expect(await discardDeadLetters(db, { schema, ids: [dropped?.id as number] })).toBe(1);

    const result = await pruneEvents(db, { schema, olderThan: future(), lagLimitSeconds: 3_600 });
    expect(result).toMatchObject({ deletedEvents: 2, stalled: [] });
    expect((await events(schema)).rows.map((r) => `${r.key}:${r.n}`)).toEqual(['poison:1']);

    heal = true;
    expect(await redriveDeadLetters(db, { schema, group: 'g' })).toBe(1);
    await waitFor(() => seen.includes('poison:1'), 5_000, 'the redriven event');
    await waitFor(
      async () =>
        (await listDeadLetters(db, { schema, group: 'g', status: 'redriven' })).length === 1,
    );
    expect(seen).toEqual(['ok:1', 'poison:1']);
    // Delivered: now nothing holds it back.
    expect((await pruneEvents(db, { schema, olderThan: future() })).deletedEvents).toBe(1);
    expect((await events(schema)).rows).toEqual([]);
    await consumer.stop();
  });

  it('a dead letter whose event is gone is refused by redrive (nothing marked) and cannot stay redriving', async () => {
    const schema = await freshSchema();
    const seen: string[] = [];
    let heal = false;
    const consumer = await start(schema, {
      group: 'g',
      channel: 'orders',
      maxAttempts: 1,
      handler: (e: StoredEvent) => {
        if (e.key === 'poison' && !heal) throw new Error('poison');
        seen.push(label(e));
      },
    });
    await publishOrders(db, schema, [
      { key: 'poison', n: 1 },
      { key: 'poison', n: 2 },
    ]);
    await waitFor(async () => (await listDeadLetters(db, { schema, group: 'g' })).length === 2);
    const [orphan, intact] = await listDeadLetters(db, { schema, group: 'g' });
    const orphanId = orphan?.id as number;
    // As deleted by hand, or by the retention of an earlier version.
    await db.query(`delete from "${schema}".events where seq = $1`, [orphan?.seq]);

    const refused = redriveDeadLetters(db, { schema, group: 'g' });
    await expect(refused).rejects.toBeInstanceOf(DeadLetterEventMissingError);
    await expect(redriveDeadLetters(db, { schema, ids: [orphanId] })).rejects.toMatchObject({
      code: 'VSA_EVENTS_DEAD_LETTER_EVENT_MISSING',
      ids: [orphanId],
      message: expect.stringContaining(`discardDeadLetters({ ids: [${orphanId}] })`),
    });
    expect((await listDeadLetters(db, { schema, group: 'g' })).map((l) => l.status)).toEqual([
      'dead',
      'dead',
    ]);

    // A letter an earlier version left `redriving` goes back to `dead`, saying why.
    await db.query(`update "${schema}".dead_letters set status = 'redriving' where id = $1`, [
      orphanId,
    ]);
    await waitFor(
      async () => (await listDeadLetters(db, { schema, group: 'g' })).length === 2,
      5_000,
      'the orphaned redrive to settle',
    );
    const settled = (await listDeadLetters(db, { schema, group: 'g' }))[0];
    expect(settled).toMatchObject({
      id: orphanId,
      status: 'dead',
      attempts: orphan?.attempts,
      error: {
        code: 'VSA_EVENTS_DEAD_LETTER_EVENT_MISSING',
        message: expect.stringContaining('discard the letter'),
        cause: { message: 'poison' },
      },
    });

    // Discard the orphan, and the rest redrives.
    expect(await discardDeadLetters(db, { schema, ids: [orphanId] })).toBe(1);
    heal = true;
    expect(await redriveDeadLetters(db, { schema, group: 'g' })).toBe(1);
    await waitFor(() => seen.includes('poison:2'), 5_000, 'the intact letter');
    expect(seen).toEqual(['poison:2']);
    await waitFor(async () =>
      (await listDeadLetters(db, { schema, group: 'g', status: 'redriven' })).some(
        (l) => l.id === intact?.id,
      ),
    );
    await consumer.stop();
  });

  it('partitions: 4 with one blocked partition: retention keeps exactly what that partition has not passed; stalled lists only a lagging partition', async () => {
    const schema = await freshSchema();
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    // Everything is published before the group starts, and it neither listens nor polls
    // again for ~10 s: positions stay put while the test looks at them.
    await publishOrders(db, schema, [
      ...keys.map((key) => ({ key, n: 1 })),
      { key: 'poison', n: 1 },
      ...keys.map((key) => ({ key, n: 2 })),
    ]);
    const all = (await events(schema)).rows;
    const poison = all.find((r) => r.key === 'poison') as (typeof all)[number];
    const blocked = poison.key_hash % 4;
    const poisonSeq = Number(poison.seq);
    const held = all.filter((r) => r.key_hash % 4 === blocked && Number(r.seq) >= poisonSeq);
    expect(held.some((r) => r.key !== 'poison')).toBe(true);
    expect(held.length).toBeLessThan(all.length);

    const seen: string[] = [];
    const consumer = await start(schema, {
      group: 'g',
      channel: 'orders',
      partitions: 4,
      onFailure: 'block',
      maxAttempts: 1,
      listen: false,
      pollIntervalMs: 600_000,
      leaseMs: 30_000,
      handler: (e: StoredEvent) => {
        if (e.key === 'poison') throw new Error('poison');
        seen.push(label(e));
      },
    });
    await waitFor(async () => {
      const parts = (await getConsumerStatus(db, { schema, group: 'g' })).groups[0]
        ?.partitionStatus;
      return (
        parts?.length === 4 &&
        parts.every((p) =>
          p.partition === blocked ? p.blockedSeq === poisonSeq : p.lagEvents === 0,
        )
      );
    });
    expect(seen).toHaveLength(all.length - held.length);

    const kept = await pruneEvents(db, { schema, olderThan: future(), lagLimitSeconds: 3_600 });
    expect(kept.deletedEvents).toBe(all.length - held.length);
    expect((await events(schema)).rows).toEqual(held);
    expect(kept.stalled).toEqual([]);

    const strict = await pruneEvents(db, { schema, olderThan: future(), lagLimitSeconds: 0 });
    expect(strict.stalled).toEqual([
      expect.objectContaining({
        group: 'g',
        channel: 'orders',
        partition: blocked,
        oldestUnprocessedAgeSeconds: expect.any(Number),
      }),
    ]);
    expect(strict.stalled[0]?.oldestUnprocessedAgeSeconds).toBeGreaterThan(0);

    // Two days without an order, then a payment: every position now sits on a two-day-old
    // tick that is not the newest, yet the caught-up partitions have nothing to process and
    // the blocked one's oldest event is seconds old. None is past an hour.
    await db.query(`update "${schema}".ticks set created_at = created_at - interval '2 days'`);
    await publishEvent(db, PaymentCaptured.create({ paymentId: 'p', amount: 1 }), {
      schema,
      catalog: testCatalog,
    });
    await db.query(tickSql(schema));
    const idle = await pruneEvents(db, { schema, olderThan: new Date(0), lagLimitSeconds: 3_600 });
    expect(idle.stalled).toEqual([]);
    const positions = await db.query<{ n: number }>(
      `select count(*)::integer as n from "${schema}".consumer_positions
        where tick_id < (select max(tick_id) from "${schema}".ticks)`,
    );
    expect(positions.rows[0]?.n).toBe(4);
    await consumer.stop();
  });
});
