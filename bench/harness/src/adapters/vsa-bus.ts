// The queue harness's adapter for the @vsa/common-events bus: one channel, a transactional
// consumer group whose handler writes the job's effect in the batch's transaction.
import { setTimeout as sleep } from 'node:timers/promises';
import { createDatabase, type Database } from '@vsa/common-db';
import {
  type Consumer,
  createEventBus,
  defineCatalog,
  defineEvent,
  type EventBus,
} from '@vsa/common-events';
import pg from 'pg';
import { z } from 'zod';
import { runAdapter, type SystemUnderTest } from '../adapter-runtime.js';
import { installEffects, type JobPayload } from '../effects.js';
import { readAdapterEnv } from '../env.js';

const JobQueued = defineEvent({
  channel: 'harness_jobs',
  type: 'JobQueued',
  version: 1,
  description: 'One harness job',
  payload: z.object({ id: z.uuid(), t: z.number(), pad: z.string() }),
});
const catalog = defineCatalog([JobQueued]);
const GROUP = 'harness-workers';
const PARTITIONS = 16;

const env = readAdapterEnv();
const leaseMs = process.env.LEASE_MS ? Number(process.env.LEASE_MS) : undefined;
const poolMax = Math.max(4, env.workerCount + 2);
let db: Database<unknown> | undefined;
let bus: EventBus<typeof JobQueued> | undefined;
const accounting = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
accounting.on('error', () => undefined);
const consumers: Consumer[] = [];
// Warnings and errors of the bus on stderr (the driver keeps them in its log): lease moves
// and retries are what explain a dip in a chaos scenario.
const say = (level: string) => (obj: unknown, msg?: string) => {
  const err = (obj as { err?: { message?: string } } | null)?.err?.message;
  process.stderr.write(`${level} ${msg ?? ''}${err ? `: ${err}` : ''}\n`);
};
const logger = { debug() {}, info() {}, warn: say('warn'), error: say('error') };

const sut: SystemUnderTest = {
  descriptor: {
    system: 'vsa-bus',
    version: '@vsa/common-events (workspace)',
    event_tables: ['vsa_events.events', 'vsa_events.consumer_partitions', 'harness_effects'],
  },
  async setup() {
    db ??= await createDatabase({ url: env.databaseUrl, pool: { max: poolMax } });
    bus ??= createEventBus({ db, catalog, tickIntervalMs: 50, logger });
    await bus.install();
    await installEffects(accounting);
    await bus.start();
  },
  async produce(jobs) {
    const b = bus as EventBus<typeof JobQueued>;
    await b.transaction(async (tx) => {
      await b.publish(
        tx,
        jobs.map((job) => JobQueued.create(job, { key: job.id })),
      );
      await tx.query('insert into harness_produced (job_id) select unnest($1::uuid[])', [
        jobs.map((j) => j.id),
      ]);
    });
  },
  async startWorkers(hooks) {
    const b = bus as EventBus<typeof JobQueued>;
    for (let i = 0; i < env.workerCount; i++) {
      const consumer = b.consumers.subscribe({
        group: GROUP,
        channel: JobQueued.channel,
        mode: 'transactional',
        partitions: PARTITIONS,
        batchSize: 50,
        memberId: `${env.replicaId}-w${i}`,
        ...(leaseMs === undefined ? {} : { leaseMs }),
        async handler(event, { tx }) {
          const job = event.payload as JobPayload;
          const claimMs = hooks.claimed(job);
          if (env.jobWorkMs > 0) await sleep(env.jobWorkMs);
          await tx.query(
            'insert into harness_effects (job_id, claim_ms, replica) values ($1, $2, $3)',
            [job.id, claimMs, env.replicaId],
          );
          // Counted once the batch commits would be exact; the handler is close enough
          // for a rate (the effects table is the exact record).
          hooks.completed();
        },
      });
      await consumer.start();
      consumers.push(consumer);
    }
  },
  async queueDepth() {
    const { rows } = await accounting.query<{ n: number }>(
      `select ((select count(*) from harness_produced)
             - (select count(distinct job_id) from harness_effects))::int as n`,
    );
    return rows[0]?.n ?? 0;
  },
  async stop() {
    await Promise.all(consumers.map((c) => c.stop()));
    await bus?.stop();
    await db?.close();
    await accounting.end();
  },
};

await runAdapter(env, sut);
