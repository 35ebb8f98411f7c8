import type pg from 'pg';
import { type JobInsert, PgBoss } from 'pg-boss';
import { assertCount, positive } from '../errors.js';
import type { BenchContext, BenchDatabase, Figure } from '../harness.js';
import { createEvents } from '../payloads.js';
import type { MeasureOptions } from '../raw/options.js';
import { measurePeer, type PeerRunner } from './peer-runner.js';
import { waitUntil } from './wait.js';

const SCHEMA = 'pgboss';
const QUEUE = 'bench';

/** Options of {@link pgBossSend}. */
export interface PgBossSendOptions extends MeasureOptions {
  /** Jobs per run; default 20,000. */
  jobs?: number;
  /** Jobs per `insert()` call, awaited in turn; default 1,000. */
  perCall?: number;
}

/** Options of {@link pgBossProcess}. */
export interface PgBossProcessOptions extends MeasureOptions {
  /** Jobs per run; default 20,000. */
  jobs?: number;
  /** `work()` batchSize; default 1,000. */
  batchSize?: number;
  /** `work()` localConcurrency: workers in this process; default 2. */
  localConcurrency?: number;
  /** `work()` burstWhenBatchFull: fetch again at once after a full batch; default true. */
  burst?: boolean;
}

/** Drops pg-boss's schema, then starts a fresh instance with default options and one queue. */
async function freshBoss(db: BenchDatabase, admin: pg.Client, ctx: BenchContext): Promise<PgBoss> {
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await admin.query('CHECKPOINT');
  const boss = new PgBoss({ connectionString: db.url, schema: SCHEMA });
  boss.on('error', (error: Error) => ctx.log(`  pg-boss error: ${error.message}`));
  await boss.start();
  await boss.createQueue(QUEUE);
  return boss;
}

async function countJobs(admin: pg.Client, state?: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    state === undefined
      ? `SELECT count(*)::int AS n FROM ${SCHEMA}.job WHERE name = $1`
      : `SELECT count(*)::int AS n FROM ${SCHEMA}.job WHERE name = $1 AND state = $2`,
    state === undefined ? [QUEUE] : [QUEUE, state],
  );
  return rows[0]?.n ?? 0;
}

function jobChunks(jobs: number, perCall: number): JobInsert[][] {
  const events = createEvents(jobs);
  const chunks: JobInsert[][] = [];
  for (let start = 0; start < jobs; start += perCall) {
    chunks.push(events.slice(start, start + perCall).map((e) => ({ data: e.data })));
  }
  return chunks;
}

/**
 * A {@link PeerRunner} for 3 send: pg-boss 12.38.0 `insert()` of `jobs` jobs in calls of `perCall`, each
 * awaited in turn. Its own database unless `db` is given.
 */
export async function createPgBossSender(
  ctx: BenchContext,
  options: PgBossSendOptions = {},
): Promise<PeerRunner> {
  const jobs = positive('jobs', options.jobs ?? 20_000);
  const perCall = positive('perCall', options.perCall ?? 1000);
  const chunks = jobChunks(jobs, perCall);
  const db = options.db ?? (await ctx.pg('pgboss'));
  const admin = await db.connect();
  const label = options.label ?? `3 pg-boss send (${perCall}/call)`;
  return {
    label,
    jobs,
    async run() {
      const boss = await freshBoss(db, admin, ctx);
      try {
        const start = performance.now();
        for (const chunk of chunks) await boss.insert(QUEUE, chunk);
        const ms = performance.now() - start;
        assertCount(`${label} jobs`, await countJobs(admin), jobs);
        return ms;
      } finally {
        await boss.stop({ graceful: false });
      }
    },
    close: () => admin.end(),
  };
}

/**
 * 3 send: pg-boss 12.38.0 `insert()` of `jobs` jobs in calls of `perCall`, each awaited in turn.
 * Each run starts from a dropped and recreated schema (untimed). Its own database unless
 * `db` is given.
 */
export async function pgBossSend(
  ctx: BenchContext,
  options: PgBossSendOptions = {},
): Promise<Figure> {
  return measurePeer(ctx, await createPgBossSender(ctx, options), options);
}

/**
 * 3 process tuned: pg-boss 12.38.0 `work()` with a no-op batch handler, timed from the `work()`
 * call until all jobs are `completed`. Defaults are perf-baselines' tuned configuration, the
 * fastest of its pilot on this machine: batches of 500, localConcurrency 2, burstWhenBatchFull,
 * polling interval 0.5 s (its minimum).
 */
export async function pgBossProcess(
  ctx: BenchContext,
  options: PgBossProcessOptions = {},
): Promise<Figure> {
  return measurePeer(ctx, await createPgBossProcessor(ctx, options), options);
}

/** A {@link PeerRunner} for 3 process tuned (see {@link pgBossProcess}). */
export async function createPgBossProcessor(
  ctx: BenchContext,
  options: PgBossProcessOptions = {},
): Promise<PeerRunner> {
  const jobs = positive('jobs', options.jobs ?? 20_000);
  const batchSize = positive('batchSize', options.batchSize ?? 500);
  const localConcurrency = positive('localConcurrency', options.localConcurrency ?? 2);
  const burst = options.burst ?? true;
  const chunks = jobChunks(jobs, 1000);
  const db = options.db ?? (await ctx.pg('pgboss'));
  const admin = await db.connect();
  const label =
    options.label ??
    `3 pg-boss process (batch ${batchSize}, localConcurrency ${localConcurrency}${burst ? ', burst' : ''})`;
  return {
    label,
    jobs,
    async run() {
      const boss = await freshBoss(db, admin, ctx);
      try {
        for (const chunk of chunks) await boss.insert(QUEUE, chunk);
        assertCount(`${label} jobs queued`, await countJobs(admin), jobs);
        await admin.query('CHECKPOINT');
        let handled = 0;
        const start = performance.now();
        await boss.work(
          QUEUE,
          { batchSize, localConcurrency, burstWhenBatchFull: burst, pollingIntervalSeconds: 0.5 },
          async (batch) => {
            handled += batch.length;
          },
        );
        await waitUntil(`${label}: handlers`, async () => handled >= jobs);
        // Completion is written after the handler returns: wait for the rows themselves.
        await waitUntil(
          `${label}: completed`,
          async () => (await countJobs(admin, 'completed')) === jobs,
        );
        const ms = performance.now() - start;
        assertCount(`${label} jobs handled`, handled, jobs);
        return ms;
      } finally {
        await boss.stop({ graceful: false });
      }
    },
    close: () => admin.end(),
  };
}
