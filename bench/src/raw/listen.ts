import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchError } from '../errors.js';
import type { BenchContext, Figure } from '../harness.js';
import { createEvents } from '../payloads.js';
import { percentile } from '../stats.js';
import { type MeasureOptions, runCounts } from './options.js';
import { createEventsSchema, RESET_SQL } from './schema.js';

/** Options of {@link rawListenRoundTrip}. */
export interface ListenOptions extends MeasureOptions {
  /** Events published one at a time per run; default 500. */
  events?: number;
  /** Random gap before each publish, 0..maxGapMs; default 20. */
  maxGapMs?: number;
  /** Give up a run when the consumer has not seen every event this long after the last publish. */
  timeoutMs?: number;
}

/** The figures {@link rawListenRoundTrip} records. */
export interface ListenFigures {
  /** publish → consumer has the row, median. */
  p50: Figure;
  p99: Figure;
  max: Figure;
  /** The publisher's own `INSERT + pg_notify` round trip (commit included), median. */
  publishP50: Figure;
}

/**
 * 5: LISTEN/NOTIFY round trip. One process, three connections (publisher, reader, listener),
 * one clock. The publisher sends events one at a time (`WITH ins AS (INSERT … RETURNING
 * channel) SELECT pg_notify('events', channel) FROM ins`), each awaited, after a random
 * 0–20 ms gap. On each notification the reader fetches everything after its last id; a
 * notification that lands mid-fetch triggers one more fetch. Latency runs from just before
 * the INSERT to the moment the fetch that returns the row resolves.
 */
export async function rawListenRoundTrip(
  ctx: BenchContext,
  options: ListenOptions = {},
): Promise<ListenFigures> {
  const count = options.events ?? 500;
  const maxGapMs = options.maxGapMs ?? 20;
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!Number.isSafeInteger(count) || count < 1 || !(maxGapMs >= 0)) {
    throw new BenchError(
      'VSA_BENCH_INVALID_ARGUMENT',
      'events must be a positive integer and maxGapMs >= 0',
    );
  }
  const events = createEvents(count);
  const db = options.db ?? (await ctx.pg('raw'));
  const publisher = await db.connect();
  const reader = await db.connect();
  const listener = await db.connect();
  await createEventsSchema(publisher);
  await listener.query('LISTEN events');
  const label = options.label ?? '5 listen';

  const figures = await ctx.sample(
    label,
    async () => {
      const startedAt = new Array<number>(count + 1);
      const latencies: number[] = [];
      const publishRtt: number[] = [];
      let last = 0;
      let fetching = false;
      let again = false;
      let failure: unknown;
      const fetch = async () => {
        if (fetching) {
          again = true;
          return;
        }
        fetching = true;
        try {
          do {
            again = false;
            const { rows } = await reader.query<{ id: string }>({
              name: 'listen-fetch',
              text: 'SELECT id, channel, type, payload FROM events WHERE id > $1 ORDER BY id LIMIT 1000',
              values: [last],
            });
            const now = performance.now();
            for (const row of rows) {
              const id = Number(row.id);
              latencies.push(now - (startedAt[id] as number));
              last = id;
            }
          } while (again);
        } catch (error) {
          failure = error;
        } finally {
          fetching = false;
        }
      };
      const onNotification = () => {
        void fetch();
      };
      listener.on('notification', onNotification);
      try {
        for (let i = 0; i < count; i++) {
          await sleep(Math.random() * maxGapMs);
          const e = events[i] as (typeof events)[number];
          const t0 = performance.now();
          // Ids restart at 1 each run and the publisher is sequential: event i gets id i + 1.
          startedAt[i + 1] = t0;
          await publisher.query({
            name: 'listen-publish',
            text: "WITH ins AS (INSERT INTO events (channel, type, payload) VALUES ($1, $2, $3) RETURNING channel) SELECT pg_notify('events', channel) FROM ins",
            values: [e.channel, e.type, e.json],
          });
          publishRtt.push(performance.now() - t0);
        }
        const deadline = performance.now() + timeoutMs;
        while (latencies.length < count && failure === undefined && performance.now() < deadline) {
          await sleep(5);
        }
      } finally {
        listener.off('notification', onNotification);
      }
      if (failure !== undefined) throw failure;
      if (latencies.length !== count) {
        throw new Error(
          `${label}: consumer saw ${latencies.length} of ${count} events within ${timeoutMs} ms`,
        );
      }
      return {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        'publish p50': percentile(publishRtt, 50),
      };
    },
    {
      unit: 'ms',
      ...runCounts(options),
      before: async () => {
        await publisher.query(RESET_SQL);
      },
    },
  );
  await Promise.all([publisher.end(), reader.end(), listener.end()]);
  return {
    p50: figures.p50 as Figure,
    p99: figures.p99 as Figure,
    max: figures.max as Figure,
    publishP50: figures['publish p50'] as Figure,
  };
}
