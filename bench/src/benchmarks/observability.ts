import { createDatabase } from '@vsa/common-db';
import type { EventEnvelope } from '@vsa/common-events';
import { installEventStore, uuidv7 } from '@vsa/common-events/admin';
import { defineBenchmark } from '../harness.js';
import { consumeObservability, publishObservability } from '../observability.js';
import { createEvents } from '../payloads.js';

const SCHEMA = 'vsa_events';
const EVENTS = Number(process.env.BENCH_OBSERVABILITY_EVENTS ?? 20_000);

function envelopes(count: number, channel?: string): EventEnvelope[] {
  return createEvents(count).map((e, i) => ({
    id: uuidv7(),
    channel: channel ?? e.channel,
    type: e.type,
    version: 1,
    key: `k${i % 1000}`,
    payload: e.data,
    metadata: {},
    occurredAt: new Date(),
    idempotencyKey: null,
  }));
}

export default defineBenchmark({
  name: 'observability',
  description:
    'The publish and consume pairs of `pnpm bench publish` / `consume` alone: metrics + tracing wired (no SDK) vs without, and with an SDK + in-memory exporter',
  async run(ctx) {
    const target = await ctx.pg('observability');
    const db = await createDatabase({ url: target.url, pool: { max: 8 } });
    ctx.onCleanup(() => db.close());
    await installEventStore(db, { schema: SCHEMA });
    const parts = (process.env.BENCH_OBSERVABILITY_PARTS ?? 'publish,consume').split(',');
    if (parts.includes('publish')) await publishObservability(ctx, db, SCHEMA, envelopes(EVENTS));
    if (parts.includes('consume')) await consumeObservability(ctx, db, envelopes(EVENTS));
  },
});
