import type { PGlite } from '@electric-sql/pglite';
import { createDatabase, type Database } from '@vsa/common-db';
import {
  createEventBuffer,
  type EventEnvelope,
  installEventStore,
  keyHash,
  publishEvent,
  uuidv7,
} from '@vsa/common-events';
import type pg from 'pg';
import { type BenchContext, defineBenchmark, type Figure } from '../harness.js';
import { type BenchEvent, createEvents } from '../payloads.js';
import { pgBossSend } from '../peers/index.js';

const SCHEMA = 'vsa_events';
const ROWS = 100_000;
const SINGLE_TX = 5_000;
const RAW_BATCH = 500;
/** Events already in the table for the "no slowdown as the table grows" run. */
const FILL = Number(process.env.BENCH_PUBLISH_FILL ?? 5_000_000);

// The raw ceiling's table: the same columns, defaults and indexes as vsa_events.events.
const RAW_DDL = `
create schema if not exists raw;
create table raw.events (
  tx_id xid8 not null default pg_current_xact_id(),
  seq bigint generated always as identity primary key,
  id uuid not null, channel text not null, type text not null, version integer not null,
  key text, key_hash integer not null, payload jsonb not null,
  metadata jsonb not null default '{}'::jsonb, idempotency_key text,
  occurred_at timestamptz not null default now(), recorded_at timestamptz not null default now()
);
create index raw_channel_seq on raw.events (channel, seq);
create index raw_tx_id on raw.events (tx_id);
create unique index raw_idempotency on raw.events (channel, idempotency_key)
  where idempotency_key is not null`;
const RAW_COLUMNS =
  'id, channel, type, version, key, key_hash, payload, metadata, idempotency_key, occurred_at';
const RAW_RESET = 'truncate raw.events restart identity';

function rawValuesSql(rows: number): string {
  const tuples: string[] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const b = i * 10;
    tuples[i] =
      `($${b + 1}::uuid,$${b + 2},$${b + 3},$${b + 4}::int,$${b + 5},$${b + 6}::int,` +
      `$${b + 7}::jsonb,$${b + 8}::jsonb,$${b + 9},$${b + 10}::timestamptz)`;
  }
  return `insert into raw.events (${RAW_COLUMNS}) values ${tuples.join(',')}`;
}

/** Pre-computed raw rows (ids, hashes, JSON text): the ceiling does no per-row work. */
interface RawRow {
  values: unknown[];
}

function rawRows(events: BenchEvent[]): RawRow[] {
  const now = new Date();
  return events.map((e, i) => {
    const key = `key-${i % 1000}`;
    return {
      values: [uuidv7(), e.channel, e.type, 1, key, keyHash(key), e.json, '{}', null, now],
    };
  });
}

function envelopes(events: BenchEvent[]): EventEnvelope[] {
  const now = new Date();
  return events.map((e, i) => ({
    id: uuidv7(),
    channel: e.channel,
    type: e.type,
    version: 1,
    key: `key-${i % 1000}`,
    payload: e.data,
    metadata: {},
    occurredAt: now,
    idempotencyKey: null,
  }));
}

interface Executor {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

async function rawMultiRow(
  ctx: BenchContext,
  label: string,
  exec: Executor,
  rows: RawRow[],
): Promise<Figure> {
  const full = rawValuesSql(RAW_BATCH);
  return ctx.repeat(
    label,
    async () => {
      for (let start = 0; start < rows.length; start += RAW_BATCH) {
        const chunk = rows.slice(start, start + RAW_BATCH);
        const params: unknown[] = [];
        for (const r of chunk) params.push(...r.values);
        await exec.query(chunk.length === RAW_BATCH ? full : rawValuesSql(chunk.length), params);
      }
      return rows.length;
    },
    {
      unit: 'rows/s',
      before: async () => {
        await exec.query(RAW_RESET);
      },
    },
  );
}

async function countEvents(exec: Executor, table: string): Promise<number> {
  const result = (await exec.query(`select count(*)::int as n from ${table}`)) as {
    rows: { n: number }[];
  };
  return result.rows[0]?.n ?? 0;
}

/** Buffered publish of all events; each run starts from an empty events table. */
async function buffered(
  ctx: BenchContext,
  label: string,
  db: Database<unknown>,
  events: EventEnvelope[],
  reset: () => Promise<void>,
): Promise<Figure> {
  return ctx.repeat(
    label,
    async () => {
      const buffer = createEventBuffer({ db, schema: SCHEMA, maxBatch: 1000, maxDelayMs: 1 });
      await Promise.all(events.map((e) => buffer.publish(e)));
      await buffer.close();
      return events.length;
    },
    {
      unit: 'events/s',
      before: reset,
      after: async (items) => {
        const n = await countEvents(db, `${SCHEMA}.events`);
        if (n < items) throw new Error(`${label}: expected ${items} events, found ${n}`);
      },
    },
  );
}

async function serverDatabase(ctx: BenchContext, label: string): Promise<Database<unknown>> {
  const target = await ctx.pg(label);
  const db = await createDatabase({ url: target.url, pool: { max: 4 } });
  ctx.onCleanup(() => db.close());
  await installEventStore(db, { schema: SCHEMA });
  await db.query(RAW_DDL);
  return db;
}

export default defineBenchmark({
  name: 'publish',
  description:
    '@vsa/common-events publish: buffered 100k, one event per transaction, PGlite, 0 vs large table, vs raw same-column ceilings and pg-boss',
  async run(ctx) {
    const source = createEvents(ROWS);
    const rows = rawRows(source);
    const events = envelopes(source);

    // --- PostgreSQL: buffered publish vs the one-connection multi-row ceiling ------------
    const db = await serverDatabase(ctx, 'server');
    const resetEvents = async () => {
      await db.query(`truncate ${SCHEMA}.events restart identity`);
      await db.query('checkpoint');
    };
    const rawMulti = await rawMultiRow(ctx, 'raw 500-row INSERT, same columns+indexes', db, rows);
    const bufferedFigure = await buffered(ctx, 'buffered publish 100k', db, events, resetEvents);
    const boss = await pgBossSend(ctx);

    // --- one event per transaction vs a bare single-row INSERT transaction --------------
    const target = await ctx.pg('single');
    const client: pg.Client = await target.connect();
    await client.query(RAW_DDL);
    const singleRows = rows.slice(0, SINGLE_TX);
    const rawSingle = await ctx.repeat(
      'raw BEGIN/INSERT/COMMIT, same columns',
      async () => {
        const text = `insert into raw.events (${RAW_COLUMNS}) values ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`;
        for (const r of singleRows) {
          await client.query('begin');
          await client.query({ name: 'raw-one', text, values: r.values });
          await client.query('commit');
        }
        return singleRows.length;
      },
      { unit: 'tx/s', before: async () => void (await client.query(RAW_RESET)) },
    );
    const singleEvents = events.slice(0, SINGLE_TX);
    const txFigure = await ctx.repeat(
      'db.transaction + publishEvent (1 event)',
      async () => {
        for (const e of singleEvents) {
          await db.transaction((tx) => publishEvent(tx, e, { schema: SCHEMA }));
        }
        return singleEvents.length;
      },
      { unit: 'tx/s', before: resetEvents },
    );

    // --- table size: empty vs FILL events already stored --------------------------------
    ctx.log(`filling ${FILL.toLocaleString()} events (untimed)...`);
    await resetEvents();
    const fillStart = performance.now();
    for (let done = 0; done < FILL; done += 500_000) {
      const n = Math.min(500_000, FILL - done);
      await db.query(
        `insert into ${SCHEMA}.events (id, channel, type, version, key, key_hash, payload)
         select gen_random_uuid(), 'fill' || (i % 10), 'ItemCreated', 1, 'key-' || (i % 1000),
                (i % 1000), jsonb_build_object('i', i, 'note', repeat('x', 150))
         from generate_series(1, $1::int) i`,
        [n],
      );
    }
    await db.query(`vacuum analyze ${SCHEMA}.events`);
    await db.query('checkpoint');
    ctx.log(`filled in ${((performance.now() - fillStart) / 1000).toFixed(0)} s`);
    const deleteNew = async () => {
      await db.query(`delete from ${SCHEMA}.events where channel not like 'fill%'`);
      await db.query('checkpoint');
    };
    const bufferedLarge = await buffered(
      ctx,
      `buffered publish 100k at ${(FILL / 1e6).toFixed(1)}M events`,
      db,
      events,
      deleteNew,
    );

    // --- PGlite: buffered publish vs raw multi-row insert on the same instance ----------
    const lite: PGlite = await ctx.pglite();
    const liteDb = await createDatabase({ pglite: lite });
    ctx.onCleanup(() => liteDb.close());
    await installEventStore(liteDb, { schema: SCHEMA });
    for (const statement of RAW_DDL.split(';')) await liteDb.query(statement);
    const liteRaw = await rawMultiRow(ctx, 'PGlite raw 500-row INSERT, same columns', liteDb, rows);
    const liteBuffered = await buffered(
      ctx,
      'PGlite buffered publish 100k',
      liteDb,
      events,
      async () => {
        await liteDb.query(`truncate ${SCHEMA}.events restart identity`);
      },
    );

    // --- ratios and targets (issue 5 acceptance) -----------------------------------------
    const r1 = ctx.ratio('buffered / raw multi-row', bufferedFigure, rawMulti);
    const r2 = ctx.ratio('buffered / pg-boss send', bufferedFigure, boss);
    const r3 = ctx.ratio('tx publish / raw single-row tx', txFigure, rawSingle);
    const r4 = ctx.ratio('PGlite buffered / PGlite raw', liteBuffered, liteRaw);
    const r5 = ctx.ratio(
      `buffered at ${(FILL / 1e6).toFixed(1)}M / at 0`,
      bufferedLarge,
      bufferedFigure,
    );
    ctx.target('buffered >= 0.9x raw multi-row', r1, 0.9, 'atLeast');
    ctx.target('buffered >= 2.5x pg-boss send', r2, 2.5, 'atLeast');
    ctx.target('tx publish >= 0.9x raw single-row tx', r3, 0.9, 'atLeast');
    ctx.target('PGlite buffered >= 0.7x raw PGlite', r4, 0.7, 'atLeast');
    ctx.target('no slowdown with a large table (>= 0.9x)', r5, 0.9, 'atLeast');
    ctx.note(
      'Raw ceilings use a plain table with the same columns, defaults and indexes as vsa_events.events, pre-serialised JSON and pre-computed ids; the bus serialises payloads and builds ids inside the timed section.',
    );
    ctx.note(
      'Buffered: createEventBuffer({ maxBatch: 1000, maxDelayMs: 1 }), 100k publish() calls at once (backpressure at 20k pending), resolved when durable; one statement in flight.',
    );
    ctx.note(
      `Large-table run: ${FILL.toLocaleString()} events inserted server-side first (BENCH_PUBLISH_FILL), then the same 100k buffered publish.`,
    );
    ctx.note('2 cores shared with PostgreSQL and other work: compare same-run ratios.');
  },
});
