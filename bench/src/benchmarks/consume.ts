import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type Database } from '@vsa/common-db';
import { type EventEnvelope, publishEvent, subscribe } from '@vsa/common-events';
import {
  createTicker,
  getConsumerStatus,
  installEventStore,
  tickSql,
  uuidv7,
} from '@vsa/common-events/admin';
import pg from 'pg';
import { assertCount } from '../errors.js';
import { type BenchContext, defineBenchmark, type Figure } from '../harness.js';
import { consumeObservability } from '../observability.js';
import { createEvents } from '../payloads.js';
import { createGraphileProcessor, createPgBossProcessor } from '../peers/index.js';
import { rawCursorRead, rawListenRoundTrip } from '../raw/index.js';
import { percentile } from '../stats.js';

const SCHEMA = 'vsa_events';
const CHANNEL = 'bench';
const TOTAL = 100_000;
const BATCH = 1000;

/** The bench payloads as bus envelopes on one channel, keyed over 1,000 keys. */
function envelopes(count: number): EventEnvelope[] {
  return createEvents(count).map((e, i) => ({
    id: uuidv7(),
    channel: CHANNEL,
    type: e.type,
    version: 1,
    key: `k${i % 1000}`,
    payload: e.data,
    metadata: {},
    occurredAt: new Date(),
    idempotencyKey: null,
  }));
}

async function load(db: Database<unknown>, count: number): Promise<void> {
  const all = envelopes(count);
  for (let i = 0; i < all.length; i += 5000) {
    await publishEvent(db, all.slice(i, i + 5000), { schema: SCHEMA });
    await db.query(tickSql(SCHEMA));
  }
}

let groupNo = 0;

/** One new group (from the beginning) consuming every event with a no-op handler. */
async function consumeAll(
  db: Database<unknown>,
  total: number,
  mode: 'plain' | 'transactional',
): Promise<{ items: number; ms: number }> {
  let handled = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const handler = (event: { payload: unknown }): void => {
    if (typeof event.payload !== 'object') throw new Error('payload not decoded');
    if (++handled === total) done();
  };
  const consumer = subscribe(db, {
    group: `bench-${++groupNo}`,
    channel: CHANNEL,
    schema: SCHEMA,
    batchSize: BATCH,
    listen: false,
    pollIntervalMs: 1000,
    ...(mode === 'plain' ? { handler } : { mode, handler: async (e) => handler(e) }),
  });
  const started = performance.now();
  await consumer.start();
  await finished;
  const ms = performance.now() - started;
  await consumer.stop();
  return { items: handled, ms };
}

/** Raw ceiling on the bus's own table: same columns and indexes, checkpoint UPDATE per page. */
async function rawSameSchema(client: {
  query: (
    text: string,
    params?: unknown[],
  ) => Promise<{ rows: { seq: unknown; payload: unknown }[] }>;
}): Promise<number> {
  let last = '0';
  let read = 0;
  for (;;) {
    await client.query('BEGIN');
    const { rows } = await client.query(
      `select seq, tx_id::text, id::text, channel, type, version, key, key_hash, payload, metadata,
              idempotency_key, occurred_at, recorded_at
         from ${SCHEMA}.events where channel = $1 and seq > $2 order by seq limit ${BATCH}`,
      [CHANNEL, last],
    );
    if (rows.length === 0) {
      await client.query('COMMIT');
      return read;
    }
    for (const row of rows) if (typeof row.payload !== 'object') throw new Error('not decoded');
    read += rows.length;
    last = String((rows[rows.length - 1] as { seq: unknown }).seq);
    await client.query('update raw_checkpoint set last_seq = $1, updated_at = now() where id = 1', [
      last,
    ]);
    await client.query('COMMIT');
  }
}

async function latency(ctx: BenchContext, db: Database<unknown>): Promise<Record<string, Figure>> {
  // What bus.start() runs: the ticker, whose in-process signal wakes same-process consumers.
  const ticker = createTicker({ db, schema: SCHEMA });
  ticker.start();
  ctx.onCleanup(() => ticker.stop());
  const events = envelopes(500);
  let resolveSeen: ((at: number) => void) | null = null;
  const consumer = subscribe(db, {
    group: 'latency',
    channel: CHANNEL,
    schema: SCHEMA,
    ticker,
    startFrom: 'now',
    pollIntervalMs: 1000,
    handler: () => {
      resolveSeen?.(performance.now());
    },
  });
  await consumer.start();
  const roundTrip = async (event: EventEnvelope): Promise<number> => {
    const seen = new Promise<number>((r) => {
      resolveSeen = r;
    });
    const t0 = performance.now();
    // Publish outside the bus's validation (no catalog entry): one auto-commit INSERT,
    // then the in-process ticker signal, as bus.publish(db, ...) does.
    await publishEvent(db, { ...event, id: uuidv7() }, { schema: SCHEMA });
    ticker.signal();
    return (await seen) - t0;
  };
  for (const event of events.slice(0, 50)) await roundTrip(event); // warm-up, untimed
  const figures = await ctx.sample(
    'consume latency',
    async () => {
      const samples: number[] = [];
      for (const event of events) {
        await sleep(Math.random() * 20);
        samples.push(await roundTrip(event));
      }
      samples.sort((a, b) => a - b);
      return {
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        max: samples.at(-1) ?? 0,
      };
    },
    { unit: 'ms' },
  );
  await consumer.stop();
  return figures;
}

/**
 * What one getConsumerStatus call costs for a group 10 events behind and one 100,000 behind,
 * alone and while a REPEATABLE READ transaction pins the xmin.
 */
async function statusCost(
  ctx: BenchContext,
  db: Database<unknown>,
  holder: pg.Client,
): Promise<Record<string, Figure>> {
  const stopped = async (group: string, startFrom: 'beginning' | 'now') => {
    const c = subscribe(db, {
      group,
      channel: CHANNEL,
      schema: SCHEMA,
      startFrom,
      handler: () => {},
    });
    // Created and left at once: the group keeps its start position.
    await c.start();
    await c.stop();
  };
  await stopped('status-small', 'now');
  await publishEvent(db, envelopes(10), { schema: SCHEMA });
  await db.query(tickSql(SCHEMA));
  await stopped('status-large', 'beginning');
  const time = async (group: string): Promise<number> => {
    const t0 = performance.now();
    await getConsumerStatus(db, { schema: SCHEMA, group });
    return performance.now() - t0;
  };
  const lag = async (group: string) =>
    (await getConsumerStatus(db, { schema: SCHEMA, group })).groups[0]?.lagEvents ?? 0;
  ctx.note(
    `Status cost (lag estimated above 1,000 events per partition): lag of status-small ${await lag('status-small')}, of status-large ${await lag('status-large')} events.`,
  );
  return ctx.sample(
    'status cost',
    async () => {
      const small = await time('status-small');
      const large = await time('status-large');
      await holder.query('begin isolation level repeatable read');
      await holder.query(`select count(*) from ${SCHEMA}.events`);
      await holder.query('select pg_current_xact_id()');
      await publishEvent(db, envelopes(1), { schema: SCHEMA });
      await db.query(tickSql(SCHEMA));
      try {
        return {
          'status, lag 10': small,
          'status, lag 100,000': large,
          'status, lag 10, xmin held': await time('status-small'),
          'status, lag 100,000, xmin held': await time('status-large'),
        };
      } finally {
        await holder.query('rollback');
      }
    },
    { unit: 'ms' },
  );
}

/**
 * `pnpm bench consume`: one consumer group reading 100,000 events in batches of 1,000 with a
 * position commit per batch, against the raw cursor-read ceiling on the same table, pg-boss
 * and graphile-worker processing, the raw LISTEN/NOTIFY round trip, PGlite, and a held
 * REPEATABLE READ transaction. Targets from issue 6.
 */
export default defineBenchmark({
  name: 'consume',
  description:
    'consumer groups: throughput vs raw cursor read and peers, wake-up latency, PGlite, held xmin',
  async run(ctx) {
    const bench = await ctx.pg('consume');
    // 4 for the consumers and readers, room for the observability pairs' LISTEN connections.
    const db = await createDatabase({ url: bench.url, pool: { max: 8 } });
    ctx.onCleanup(() => db.close());
    await installEventStore(db, { schema: SCHEMA });
    ctx.log('loading 100,000 events');
    await load(db, TOTAL);
    await db.query(`vacuum analyze ${SCHEMA}.events`);

    const client = await bench.connect();
    await client.query(
      'create table raw_checkpoint (id int primary key, last_seq bigint, updated_at timestamptz)',
    );
    await client.query('insert into raw_checkpoint values (1, 0, now())');
    // The raw ceiling, our consumer and both peers run in the same rounds (raw, ours, pg-boss,
    // graphile-worker, raw, ...), after one untimed warm-up round (JIT, plan caches, buffer
    // cache), so drift on the shared machine hits all four alike.
    const bossRunner = await createPgBossProcessor(ctx);
    ctx.onCleanup(() => bossRunner.close());
    const graphileRunner = await createGraphileProcessor(ctx);
    ctx.onCleanup(() => graphileRunner.close());
    const RAW = 'raw cursor read, bus table (channel, seq)';
    const PLAIN = 'consume plain (batch 1,000)';
    const rounds = await ctx.sample(
      'throughput',
      async () => {
        await client.query('delete from raw_checkpoint');
        await client.query('insert into raw_checkpoint values (1, 0, now())');
        const t0 = performance.now();
        assertCount('raw read', await rawSameSchema(client), TOTAL);
        const rawMs = performance.now() - t0;
        const ours = await consumeAll(db, TOTAL, 'plain');
        assertCount('consume plain', ours.items, TOTAL);
        return {
          [RAW]: (TOTAL / rawMs) * 1000,
          [PLAIN]: (ours.items / ours.ms) * 1000,
          [bossRunner.label]: (bossRunner.jobs / (await bossRunner.run())) * 1000,
          [graphileRunner.label]: (graphileRunner.jobs / (await graphileRunner.run())) * 1000,
        };
      },
      {
        warmup: 1,
        unit: {
          [RAW]: 'events/s',
          [PLAIN]: 'events/s',
          [bossRunner.label]: 'jobs/s',
          [graphileRunner.label]: 'jobs/s',
        },
      },
    );
    const raw = rounds[RAW] as Figure;
    const plain = rounds[PLAIN] as Figure;
    const boss = rounds[bossRunner.label] as Figure;
    const graphile = rounds[graphileRunner.label] as Figure;
    const transactional = await ctx.repeat(
      'consume transactional (batch 1,000)',
      () => consumeAll(db, TOTAL, 'transactional'),
      { unit: 'events/s', after: (items) => assertCount('consume transactional', items, TOTAL) },
    );

    // Held xmin: a REPEATABLE READ transaction open for the whole run (research test 13),
    // against a plain run right before it in the same round, so both see the same machine.
    const holder = new pg.Client({ connectionString: bench.url });
    await holder.connect();
    ctx.onCleanup(() => holder.end());
    const xminRounds = await ctx.sample(
      'held xmin',
      async () => {
        const before = await consumeAll(db, TOTAL, 'plain');
        assertCount('consume plain (held xmin pair)', before.items, TOTAL);
        await holder.query('begin isolation level repeatable read');
        await holder.query(`select count(*) from ${SCHEMA}.events`);
        await holder.query('select pg_current_xact_id()');
        try {
          const held = await consumeAll(db, TOTAL, 'plain');
          assertCount('consume held', held.items, TOTAL);
          return {
            'consume plain': (before.items / before.ms) * 1000,
            'consume plain, REPEATABLE READ held open': (held.items / held.ms) * 1000,
          };
        } finally {
          await holder.query('rollback');
        }
      },
      { unit: 'events/s' },
    );
    const heldBase = xminRounds['consume plain'] as Figure;
    const held = xminRounds['consume plain, REPEATABLE READ held open'] as Figure;

    const anchor = await rawCursorRead(ctx);

    const listen = await rawListenRoundTrip(ctx);
    const ours = await latency(ctx, db);
    const status = await statusCost(ctx, db, holder);

    // PGlite: the same consumer on the embedded engine vs a raw cursor read of the same table.
    const lite = await ctx.pglite('consume');
    const liteDb = await createDatabase({ pglite: lite });
    await installEventStore(liteDb, { schema: SCHEMA });
    await load(liteDb, TOTAL);
    await liteDb.query(`vacuum analyze ${SCHEMA}.events`);
    await liteDb.query(
      'create table raw_checkpoint (id int primary key, last_seq bigint, updated_at timestamptz)',
    );
    const liteRaw = await ctx.repeat(
      'PGlite raw cursor read, bus table',
      () => rawSameSchema({ query: (text, params) => liteDb.query(text, params) as never }),
      {
        unit: 'events/s',
        before: async () => {
          await liteDb.query('delete from raw_checkpoint');
          await liteDb.query('insert into raw_checkpoint values (1, 0, now())');
        },
        after: (items) => assertCount('PGlite raw read', items, TOTAL),
      },
    );
    const liteConsume = await ctx.repeat(
      'PGlite consume plain',
      () => consumeAll(liteDb, TOTAL, 'plain'),
      {
        unit: 'events/s',
        after: (items) => assertCount('PGlite consume', items, TOTAL),
      },
    );

    // Metrics + tracing wired (no SDK) vs without, and with an SDK: the first 20k events.
    await consumeObservability(ctx, db, envelopes(20_000));

    const vsRaw = ctx.ratio('consume / raw same table', plain, raw);
    ctx.ratio('consume / perf-baselines 2 (own table, no channel filter)', plain, anchor);
    ctx.ratio('consume transactional / raw same table', transactional, raw);
    const vsBoss = ctx.ratio('consume / pg-boss process', plain, boss);
    const vsGraphile = ctx.ratio('consume / graphile-worker process', plain, graphile);
    const p50 = ctx.ratio('latency p50 / LISTEN p50', ours.p50 as Figure, listen.p50);
    const p99 = ctx.ratio('latency p99 / LISTEN p99', ours.p99 as Figure, listen.p99);
    const lite7 = ctx.ratio('PGlite consume / PGlite raw read', liteConsume, liteRaw);
    const xmin = ctx.ratio('held xmin / plain', held, heldBase);
    ctx.ratio(
      'status lag 100,000 / lag 10',
      status['status, lag 100,000'] as Figure,
      status['status, lag 10'] as Figure,
    );
    ctx.ratio(
      'status lag 100,000 xmin held / lag 10',
      status['status, lag 100,000, xmin held'] as Figure,
      status['status, lag 10'] as Figure,
    );
    ctx.target('consume >= 0.75x raw cursor read', vsRaw, 0.75, 'atLeast');
    ctx.target('consume >= 4x pg-boss', vsBoss, 4, 'atLeast');
    ctx.target('consume >= 4x graphile-worker', vsGraphile, 4, 'atLeast');
    ctx.target('latency p50 <= 2.5x LISTEN/NOTIFY', p50, 2.5, 'atMost');
    ctx.target('latency p99 <= 4x LISTEN/NOTIFY', p99, 4, 'atMost');
    ctx.target('PGlite consume >= 0.7x raw PGlite read', lite7, 0.7, 'atLeast');
    ctx.target('held REPEATABLE READ: within 10%', xmin, 0.9, 'atLeast');
    ctx.note(
      'Latency path: publish (one auto-commit INSERT) → in-process ticker signal → tick() → onTick wake → one read → handler; the consumer process runs the ticker, as bus.start() does.',
    );
    ctx.note(
      'Held xmin: each round runs the consumer once plainly, then once while a REPEATABLE READ transaction holds its snapshot; 100k events per run, not the 30-minute soak of research test 13.',
    );
  },
});
