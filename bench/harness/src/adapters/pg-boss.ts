// The queue harness's adapter for pg-boss 12, written like the bus's: same accounting
// tables, same pacing and samples. pg-boss completes a job after the handler returns, in a
// statement of its own, so the effect and the completion cannot commit together: a crash
// between them runs the job again (at-least-once), which the effects table shows.
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { runAdapter, type SystemUnderTest } from '../adapter-runtime.js';
import { installEffects, type JobPayload } from '../effects.js';
import { readAdapterEnv } from '../env.js';

const QUEUE = 'harness_jobs';
const SCHEMA = 'pgboss';

const env = readAdapterEnv();
const accounting = new pg.Pool({ connectionString: env.databaseUrl, max: 4 });
accounting.on('error', () => undefined);
const boss = new PgBoss({
  connectionString: env.databaseUrl,
  schema: SCHEMA,
  max: Math.max(4, env.workerCount + 2),
});
boss.on('error', (error: Error) => process.stderr.write(`[pg-boss] error: ${error.message}\n`));
let started = false;

const sut: SystemUnderTest = {
  descriptor: {
    system: 'pg-boss',
    version: '12.38.0',
    event_tables: [`${SCHEMA}.job`, 'harness_effects'],
  },
  async setup() {
    await installEffects(accounting);
    if (!started) {
      await boss.start();
      started = true;
    }
    await boss.createQueue(QUEUE).catch(() => undefined);
  },
  async produce(jobs) {
    await boss.insert(
      QUEUE,
      jobs.map((job) => ({ id: job.id, data: job })),
    );
    // Acknowledged by pg-boss: now it must be completed.
    await accounting.query('insert into harness_produced (job_id) select unnest($1::uuid[])', [
      jobs.map((j) => j.id),
    ]);
  },
  async startWorkers(hooks) {
    await boss.work<JobPayload>(
      QUEUE,
      { batchSize: 100, localConcurrency: env.workerCount, pollingIntervalSeconds: 0.5 },
      async (batch) => {
        for (const job of batch) {
          const claimMs = hooks.claimed(job.data);
          if (env.jobWorkMs > 0) await sleep(env.jobWorkMs);
          await accounting.query(
            'insert into harness_effects (job_id, claim_ms, replica) values ($1, $2, $3)',
            [job.data.id, claimMs, env.replicaId],
          );
        }
        hooks.completed(batch.length);
      },
    );
  },
  async queueDepth() {
    const { rows } = await accounting.query<{ n: number }>(
      `select ((select count(*) from harness_produced)
             - (select count(distinct job_id) from harness_effects))::int as n`,
    );
    return rows[0]?.n ?? 0;
  },
  async stop() {
    await boss.stop({ graceful: true, timeout: 3000 });
    await accounting.end();
  },
};

await runAdapter(env, sut);
