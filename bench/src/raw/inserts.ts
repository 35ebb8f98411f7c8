import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { assertCount, positive } from '../errors.js';
import type { BenchContext, Figure } from '../harness.js';
import { type BenchEvent, createEvents } from '../payloads.js';
import { type MeasureOptions, runCounts } from './options.js';
import { checkEvents, createEventsSchema, multiInsertSql, RESET_SQL } from './schema.js';

/** Options of {@link rawSingleInsert}. */
export interface SingleInsertOptions extends MeasureOptions {
  /** Rows per run; default 10,000 (perf-baselines used 100k; the rate is flat). */
  rows?: number;
  /** Set `synchronous_commit = off` for this session ("1a async"). */
  asyncCommit?: boolean;
}

/** Options of {@link rawMultiInsert}. */
export interface MultiInsertOptions extends MeasureOptions {
  /** Rows per run; default 100,000. */
  rows?: number;
  /** Rows per statement; default 500. */
  batchSize?: number;
  /** Add the `(channel, id)` index first ("1b idx"). */
  channelIndex?: boolean;
  asyncCommit?: boolean;
}

/** Options of {@link rawCopy}. */
export interface CopyOptions extends MeasureOptions {
  /** Rows per run; default 100,000. */
  rows?: number;
  channelIndex?: boolean;
}

async function openEvents(ctx: BenchContext, options: MeasureOptions & { channelIndex?: boolean }) {
  const db = options.db ?? (await ctx.pg('raw'));
  const client = await db.connect();
  await createEventsSchema(client, { channelIndex: options.channelIndex ?? false });
  return client;
}

/** Options of an insert measurement: empty table before each run, count and payload check after. */
function insertRunOptions(client: pg.Client, options: MeasureOptions, label: string) {
  return {
    unit: 'rows/s',
    ...runCounts(options),
    before: async () => {
      await client.query(RESET_SQL);
    },
    after: (items: number) => checkEvents(client, items, label),
  };
}

/**
 * 1a: single-row INSERT, one connection, sequential await, one commit per row (named
 * prepared statement). The rate a one-event-per-transaction publish is held to.
 */
export async function rawSingleInsert(
  ctx: BenchContext,
  options: SingleInsertOptions = {},
): Promise<Figure> {
  const rows = positive('rows', options.rows ?? 10_000);
  const events = createEvents(rows);
  const client = await openEvents(ctx, options);
  if (options.asyncCommit) await client.query('SET synchronous_commit = off');
  const text = 'INSERT INTO events (channel, type, payload) VALUES ($1, $2, $3)';
  const label = options.label ?? `1a single-row INSERT${options.asyncCommit ? ' async' : ''}`;
  const figure = await ctx.repeat(
    label,
    async () => {
      for (const e of events) {
        await client.query({ name: 'bench-insert-one', text, values: [e.channel, e.type, e.json] });
      }
      return rows;
    },
    insertRunOptions(client, options, label),
  );
  await client.end();
  return figure;
}

/** Flat parameter list of one batch: channel, type, payload text per row. */
function batchValues(events: BenchEvent[], start: number, end: number): string[] {
  const values: string[] = new Array((end - start) * 3);
  let j = 0;
  for (let i = start; i < end; i++) {
    const e = events[i] as BenchEvent;
    values[j++] = e.channel;
    values[j++] = e.type;
    values[j++] = e.json;
  }
  return values;
}

/** 1b: multi-row `INSERT … VALUES`, `batchSize` rows per statement, one connection. */
export async function rawMultiInsert(
  ctx: BenchContext,
  options: MultiInsertOptions = {},
): Promise<Figure> {
  const rows = positive('rows', options.rows ?? 100_000);
  const batchSize = positive('batchSize', options.batchSize ?? 500);
  const events = createEvents(rows);
  const client = await openEvents(ctx, options);
  if (options.asyncCommit) await client.query('SET synchronous_commit = off');
  const fullSql = multiInsertSql(batchSize);
  const label =
    options.label ??
    `1b ${batchSize}-row INSERT${options.channelIndex ? ' idx' : ''}${options.asyncCommit ? ' async' : ''}`;
  const figure = await ctx.repeat(
    label,
    async () => {
      for (let start = 0; start < rows; start += batchSize) {
        const end = Math.min(rows, start + batchSize);
        const text = end - start === batchSize ? fullSql : multiInsertSql(end - start);
        await client.query(text, batchValues(events, start, end));
      }
      return rows;
    },
    insertRunOptions(client, options, label),
  );
  await client.end();
  return figure;
}

/** COPY text-format escaping: backslash, tab, newline and carriage return. */
export function copyEscape(value: string): string {
  return /[\\\t\n\r]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
    : value;
}

/** COPY text lines for `events`, in chunks of `chunk` rows (built lazily, so timed). */
export function* copyChunks(events: BenchEvent[], chunk = 1000): Generator<string> {
  for (let start = 0; start < events.length; start += chunk) {
    let text = '';
    const end = Math.min(events.length, start + chunk);
    for (let i = start; i < end; i++) {
      const e = events[i] as BenchEvent;
      text += `${copyEscape(e.channel)}\t${copyEscape(e.type)}\t${copyEscape(e.json)}\n`;
    }
    yield text;
  }
}

/** Loads `events` with one COPY statement on `client`. */
export async function copyEvents(client: pg.Client, events: BenchEvent[]): Promise<void> {
  const stream = client.query(copyFrom('COPY events (channel, type, payload) FROM STDIN'));
  await pipeline(Readable.from(copyChunks(events)), stream);
}

/**
 * 1c: `COPY FROM STDIN` (pg-copy-streams), one statement for all rows; building the COPY
 * text in chunks of 1,000 rows is timed too. The physical ceiling for bulk loads.
 */
export async function rawCopy(ctx: BenchContext, options: CopyOptions = {}): Promise<Figure> {
  const rows = positive('rows', options.rows ?? 100_000);
  const events = createEvents(rows);
  const client = await openEvents(ctx, options);
  const label = options.label ?? `1c COPY${options.channelIndex ? ' idx' : ''}`;
  const figure = await ctx.repeat(
    label,
    async () => {
      await copyEvents(client, events);
      return rows;
    },
    {
      ...insertRunOptions(client, options, label),
      after: async (items) => {
        assertCount(`${label} rows`, items, rows);
        await checkEvents(client, items, label);
      },
    },
  );
  await client.end();
  return figure;
}
