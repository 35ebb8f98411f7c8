import {
  type AddJobsJobSpec,
  Logger,
  makeWorkerUtils,
  type Runner,
  run,
  runMigrations,
} from 'graphile-worker';
import type pg from 'pg';
import { assertCount, positive } from '../errors.js';
import type { BenchContext, BenchDatabase, Figure } from '../harness.js';
import { createEvents } from '../payloads.js';
import { type MeasureOptions, runCounts } from '../raw/options.js';
import { measurePeer, type PeerRunner } from './peer-runner.js';
import { waitUntil } from './wait.js';

const SCHEMA = 'graphile_worker';
const TASK = 'bench_noop';

/** Options of {@link graphileAddJobs}. */
export interface GraphileAddOptions extends MeasureOptions {
  /** Jobs per run; default 20,000. */
  jobs?: number;
  /** Specs per `addJobs()` call, awaited in turn; default 1,000. */
  perCall?: number;
}

/** Options of {@link graphileProcess}. */
export interface GraphileProcessOptions extends MeasureOptions {
  /** Jobs per run; default 20,000. */
  jobs?: number;
  /** `concurrency`; default 10. */
  concurrency?: number;
  /**
   * The batching settings of graphile-worker's Performance page: `localQueue.size` 500,
   * `completeJobBatchDelay` 0, `failJobBatchDelay` 0. Default true; false = its defaults.
   */
  batched?: boolean;
}

/** Keeps warnings and errors only: the per-job "Completed task" info line would dominate. */
function quietLogger(ctx: BenchContext): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') ctx.log(`  graphile-worker ${level}: ${message}`);
  });
}

/** Drops graphile-worker's schema and runs its migrations (untimed). */
async function freshSchema(db: BenchDatabase, admin: pg.Client, logger: Logger): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await runMigrations({ connectionString: db.url, logger });
  await admin.query('CHECKPOINT');
}

async function countJobs(admin: pg.Client): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM ${SCHEMA}._private_jobs`,
  );
  return rows[0]?.n ?? 0;
}

function specChunks(jobs: number, perCall: number): AddJobsJobSpec[][] {
  const events = createEvents(jobs);
  const chunks: AddJobsJobSpec[][] = [];
  for (let start = 0; start < jobs; start += perCall) {
    chunks.push(
      events.slice(start, start + perCall).map((e) => ({ identifier: TASK, payload: e.data })),
    );
  }
  return chunks;
}

async function addAll(
  db: BenchDatabase,
  logger: Logger,
  chunks: AddJobsJobSpec[][],
): Promise<void> {
  const utils = await makeWorkerUtils({ connectionString: db.url, logger });
  try {
    for (const chunk of chunks) await utils.addJobs(chunk);
  } finally {
    await utils.release();
  }
}

/**
 * 4 add: graphile-worker 0.18.0 `addJobs()` of `jobs` specs in calls of `perCall`, awaited in
 * turn, through one WorkerUtils. Each run starts from a dropped and migrated schema (untimed).
 */
export async function graphileAddJobs(
  ctx: BenchContext,
  options: GraphileAddOptions = {},
): Promise<Figure> {
  const jobs = positive('jobs', options.jobs ?? 20_000);
  const perCall = positive('perCall', options.perCall ?? 1000);
  const chunks = specChunks(jobs, perCall);
  const db = options.db ?? (await ctx.pg('graphile'));
  const admin = await db.connect();
  const logger = quietLogger(ctx);
  const label = options.label ?? `4 graphile-worker addJobs (${perCall}/call)`;
  let utils: Awaited<ReturnType<typeof makeWorkerUtils>> | undefined;
  try {
    return await ctx.repeat(
      label,
      async () => {
        const u = utils as NonNullable<typeof utils>;
        for (const chunk of chunks) await u.addJobs(chunk);
        return jobs;
      },
      {
        unit: 'jobs/s',
        ...runCounts(options),
        before: async () => {
          await freshSchema(db, admin, logger);
          utils = await makeWorkerUtils({ connectionString: db.url, logger });
          // Untimed warm-up of the pool's first connection.
          await utils.withPgClient((client) => client.query('SELECT 1'));
        },
        after: async (items) => {
          assertCount(`${label} jobs`, await countJobs(admin), items);
          await utils?.release();
          utils = undefined;
        },
      },
    );
  } finally {
    await utils?.release();
    await admin.end();
  }
}

/**
 * 4 process: graphile-worker 0.18.0 `run()` with a no-op task, timed from the `run()` call
 * until `_private_jobs` is empty. Default: concurrency 10 with the batching settings.
 */
export async function graphileProcess(
  ctx: BenchContext,
  options: GraphileProcessOptions = {},
): Promise<Figure> {
  return measurePeer(ctx, await createGraphileProcessor(ctx, options), options);
}

/** A {@link PeerRunner} for 4 process (see {@link graphileProcess}). */
export async function createGraphileProcessor(
  ctx: BenchContext,
  options: GraphileProcessOptions = {},
): Promise<PeerRunner> {
  const jobs = positive('jobs', options.jobs ?? 20_000);
  const concurrency = positive('concurrency', options.concurrency ?? 10);
  const batched = options.batched ?? true;
  const chunks = specChunks(jobs, 1000);
  const db = options.db ?? (await ctx.pg('graphile'));
  const admin = await db.connect();
  const logger = quietLogger(ctx);
  const label =
    options.label ??
    `4 graphile-worker process (concurrency ${concurrency}${batched ? ', batched' : ''})`;
  return {
    label,
    jobs,
    async run() {
      await freshSchema(db, admin, logger);
      await addAll(db, logger, chunks);
      assertCount(`${label} jobs queued`, await countJobs(admin), jobs);
      await admin.query('CHECKPOINT');
      let handled = 0;
      const start = performance.now();
      const runner: Runner = await run({
        connectionString: db.url,
        concurrency,
        logger,
        noHandleSignals: true,
        taskList: {
          [TASK]: async () => {
            handled++;
          },
        },
        ...(batched
          ? {
              preset: {
                worker: {
                  localQueue: { size: 500 },
                  completeJobBatchDelay: 0,
                  failJobBatchDelay: 0,
                },
              },
            }
          : {}),
      });
      try {
        await waitUntil(`${label}: queue empty`, async () => (await countJobs(admin)) === 0);
        const ms = performance.now() - start;
        assertCount(`${label} jobs handled`, handled, jobs);
        return ms;
      } finally {
        await runner.stop();
      }
    },
    close: () => admin.end(),
  };
}
