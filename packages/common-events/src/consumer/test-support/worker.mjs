// A consumer-group worker process for the multi-process tests (run with `node --import tsx`).
// Configured by the JSON in VSA_WORKER; talks back only through the database.
import { createDatabase } from '@vsa/common-db';
import { subscribe } from '../subscribe.ts';

const config = JSON.parse(process.env.VSA_WORKER ?? '{}');
const db = await createDatabase({
  url: config.url,
  pool: { max: 4, applicationName: 'vsa-test-worker' },
});
const s = `"${config.schema}"`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const logger = {
  debug() {},
  info() {},
  warn(obj, msg) {
    if (config.verbose)
      process.stderr.write(`[${process.pid}] ${msg} ${obj?.err?.message ?? ''}\n`);
  },
  error(obj, msg) {
    process.stderr.write(`[${process.pid}] ${msg} ${obj?.err?.message ?? ''}\n`);
  },
};
const labelOf = (e) => `${e.payload.orderId}:${e.payload.total}`;

// With `fence`, a record needs this process's row for its partition in `fence`: a test that
// kills the process deletes its rows (waiting for the statements holding them), so nothing of
// the dead process lands after that. One row per partition: concurrent partitions do not
// share a row lock.
async function record(e, ctx, stage, executor = db) {
  const values = [process.pid, e.payload.orderId, e.payload.total, e.id, ctx.attempt, stage];
  if (!config.fence) {
    await executor.query(
      `insert into ${s}.history (pid, key, n, event_id, attempt, stage) values ($1, $2, $3, $4, $5, $6)`,
      values,
    );
    return;
  }
  await executor.query(
    `with me as (select pid from ${s}.fence where pid = $1 and part = $7 for share)
     insert into ${s}.history (pid, key, n, event_id, attempt, stage)
     select pid, $2, $3, $4, $5, $6 from me`,
    [...values, ctx.partition],
  );
}

const behaviours = {
  // Jepsen history: random latency, every delivery recorded outside the position commit.
  history: async (e, ctx) => {
    if (Math.random() < config.slowRate) await sleep(Math.random() * config.slowMs);
    await record(e, ctx, 'handled');
  },
  // Jepsen history, transactional: the record commits with the position, or not at all.
  historyTx: async (e, ctx) => {
    if (Math.random() < config.slowRate) await sleep(Math.random() * config.slowMs);
    await record(e, ctx, 'handled', ctx.tx);
  },
  // Test 5: write in the batch transaction, an external effect keyed by event id, then die
  // before the commit on the first delivery of `crashOn`.
  effects: async (e, ctx) => {
    await ctx.tx.query(`insert into ${s}.effects (event_id, pid) values ($1, $2)`, [
      e.id,
      process.pid,
    ]);
    await record(e, ctx, 'external');
    if (labelOf(e) === config.crashOn && ctx.attempt === 1 && config.crash) {
      process.kill(process.pid, 'SIGKILL');
      await sleep(10_000);
    }
  },
  // Test 9 (crashes): the handler kills its process on `crashOn`, every time.
  crash: async (e, ctx) => {
    await record(e, ctx, 'started');
    if (labelOf(e) === config.crashOn) {
      process.kill(process.pid, 'SIGKILL');
      await sleep(10_000);
    }
  },
  // Graceful stop during a backoff: fails the first attempt of `crashOn`.
  failOnce: async (e, ctx) => {
    await record(e, ctx, 'started');
    if (labelOf(e) === config.crashOn && ctx.attempt === 1) throw new Error('fails once');
    await record(e, ctx, 'handled');
  },
  // Test 6: announce, then take a while, so the test can freeze the process mid-handler.
  pause: async (e, ctx) => {
    await record(e, ctx, 'started');
    await sleep(config.handlerMs ?? 0);
    await record(e, ctx, 'handled');
  },
};

const consumer = subscribe(db, {
  schema: config.schema,
  group: config.group,
  channel: 'orders',
  mode: config.mode ?? 'plain',
  startFrom: config.startFrom ?? 'now',
  partitions: config.partitions ?? 1,
  batchSize: config.batchSize ?? 100,
  maxAttempts: config.maxAttempts ?? 5,
  leaseMs: config.leaseMs ?? 1000,
  ...(config.memberId === undefined ? {} : { memberId: config.memberId }),
  ...(config.heartbeatMs === undefined ? {} : { heartbeatMs: config.heartbeatMs }),
  ...(config.memberTimeoutMs === undefined ? {} : { memberTimeoutMs: config.memberTimeoutMs }),
  pollIntervalMs: config.pollIntervalMs ?? 50,
  backoff: config.backoff ?? { initialMs: 5, maxMs: 50 },
  logger,
  handler: behaviours[config.behaviour],
});

process.on('SIGTERM', async () => {
  await consumer.stop();
  await db.close();
  process.exit(0);
});
if (config.fence) {
  await db.query(
    `insert into ${s}.fence (pid, part) select $1, generate_series(0, $2::integer - 1)`,
    [process.pid, config.partitions ?? 1],
  );
}
await consumer.start();
await db.query(`insert into ${s}.workers (pid) values ($1) on conflict do nothing`, [process.pid]);
