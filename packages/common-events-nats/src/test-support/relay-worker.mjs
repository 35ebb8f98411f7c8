// A relay process for the crash tests (run with `node --import tsx`). Configured by the JSON in
// VSA_RELAY_WORKER; the test kills it with SIGKILL and reads the results from the stream.
import { connect } from '@nats-io/transport-node';
import { createDatabase } from '@vsa/common-db';
import { createRelay } from '../relay.ts';

const config = JSON.parse(process.env.VSA_RELAY_WORKER ?? '{}');
const db = await createDatabase({ url: config.url, pool: { max: 4 } });
const nc = await connect({
  servers: `127.0.0.1:${config.natsPort}`,
  reconnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 50,
});
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
const relay = createRelay({
  bus: { db, schema: config.schema, ticker: { running: false } },
  nc,
  channel: config.channel,
  stream: config.stream,
  maxInFlight: 256,
  batchSize: 500,
  pollIntervalMs: 50,
  publishTimeoutMs: 2000,
  retry: { initialMs: 20, maxMs: 500 },
  logger,
});
await relay.start();
process.stdout.write('started\n');
process.on('SIGTERM', async () => {
  await relay.stop();
  await nc.close();
  await db.close();
  process.exit(0);
});
