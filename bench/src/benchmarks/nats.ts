import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type PubAck } from '@nats-io/jetstream';
import { connect, headers } from '@nats-io/transport-node';
import { createDatabase } from '@vsa/common-db';
import { createEventBus, defineCatalog, defineEvent, publishEvent } from '@vsa/common-events';
import { MAX_EVENTS_PER_PUBLISH } from '@vsa/common-events/admin';
import { createRelay, ensureStream, HEADERS, subscribeJetStream } from '@vsa/common-events-nats';
import { z } from 'zod';
import { assertCount } from '../errors.js';
import { defineBenchmark, type Figure } from '../harness.js';
import { percentile } from '../stats.js';

const TOTAL = 10_000;
const IN_FLIGHT = 256;
const LATENCY_EVENTS = 200;
const SCHEMA = 'bench_nats';
const PREFIX = 'benchnats';
const Placed = defineEvent({
  channel: 'orders',
  type: 'OrderPlaced',
  version: 1,
  payload: z.object({ orderId: z.string(), total: z.number(), note: z.string() }),
});
const catalog = defineCatalog([Placed]);

/**
 * `pnpm bench nats`: the relay's throughput from committed events to JetStream acks, against a
 * bare `js.publish` loop with the same pipelining (256 in flight) in the same rounds, and the
 * end-to-end latency from commit to a JetStream consumer's handler. Targets from issue 16.
 */
export default defineBenchmark({
  name: 'nats',
  description:
    'relay PostgreSQL -> JetStream vs bare js.publish; commit -> JetStream consumer latency',
  async run(ctx) {
    const bench = await ctx.pg('nats');
    const db = await createDatabase({ url: bench.url, pool: { max: 6 } });
    ctx.onCleanup(() => db.close());
    const bus = createEventBus({ db, catalog, schema: SCHEMA });
    await bus.install();
    const nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    await bus.start();
    ctx.onCleanup(() => bus.stop());
    const streams: string[] = [];
    ctx.onCleanup(async () => {
      for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
      await nc.close();
    });
    const suffix = Date.now().toString(36);
    const event = (i: number) =>
      Placed.create(
        { orderId: `o${i % 100}`, total: i, note: 'x'.repeat(100) },
        { key: `o${i % 100}`, metadata: { correlationId: `c${i}` } },
      );

    const BARE = `bare js.publish loop, same messages (${IN_FLIGHT} in flight)`;
    const RELAY = `relay commit -> ack (${IN_FLIGHT} in flight)`;
    const rounds = await ctx.sample(
      'throughput',
      async (run) => {
        // Bare loop: messages of the relay's shape (same headers, same body fields) with
        // message ids, built per publish as the relay does, but no database and no expectations.
        const bareStream = `BENCH_BARE_${suffix}_${run}`;
        streams.push(bareStream);
        await ensureStream(jsm, { name: bareStream, subjectPrefix: `${PREFIX}bare${run}` });
        const t0 = performance.now();
        const window: Promise<PubAck>[] = [];
        for (let i = 0; i < TOTAL; i++) {
          const e = event(i);
          const h = headers();
          h.set(HEADERS.id, e.id);
          h.set(HEADERS.channel, e.channel);
          h.set(HEADERS.type, e.type);
          h.set(HEADERS.version, String(e.version));
          h.set(HEADERS.position, `1:${i}`);
          h.set(HEADERS.key, encodeURIComponent(e.key ?? ''));
          h.set(HEADERS.correlationId, String(e.metadata.correlationId));
          const body = JSON.stringify({
            payload: e.payload,
            metadata: e.metadata,
            key: e.key,
            seq: i,
            txId: '1000',
            occurredAt: e.occurredAt.toISOString(),
            recordedAt: e.occurredAt.toISOString(),
            idempotencyKey: null,
          });
          window.push(
            js.publish(`${PREFIX}bare${run}.orders.OrderPlaced`, body, {
              msgID: `1:${i}`,
              headers: h,
            }),
          );
          if (window.length >= IN_FLIGHT) await window.shift();
        }
        await Promise.all(window);
        const bareMs = performance.now() - t0;

        // Relay: an idle relay on a fresh channel; TOTAL events committed in one transaction;
        // timed from the commit to the last JetStream ack.
        const channel = `orders_r${run}`;
        const relayStream = `BENCH_RELAY_${suffix}_${run}`;
        streams.push(relayStream);
        const stream = { name: relayStream, subjectPrefix: `${PREFIX}relay${run}` };
        await ensureStream(jsm, stream);
        const relay = createRelay({
          bus,
          nc,
          channel,
          stream,
          maxInFlight: IN_FLIGHT,
          batchSize: 1000,
          pollIntervalMs: 500,
        });
        await relay.start();
        const all = Array.from({ length: TOTAL }, (_, i) => ({ ...event(i), channel }));
        await bus.transaction(async (tx) => {
          // Outside the catalog (one channel per round): publishEvent without validation.
          for (let i = 0; i < TOTAL; i += MAX_EVENTS_PER_PUBLISH) {
            await publishEvent(tx, all.slice(i, i + MAX_EVENTS_PER_PUBLISH), { schema: SCHEMA });
          }
        });
        const t1 = performance.now();
        while ((await jsm.streams.info(relayStream)).state.messages < TOTAL) await sleep(5);
        const relayMs = performance.now() - t1;
        await relay.stop();
        assertCount('relay', (await jsm.streams.info(relayStream)).state.messages, TOTAL);
        return { [BARE]: (TOTAL / bareMs) * 1000, [RELAY]: (TOTAL / relayMs) * 1000 };
      },
      { warmup: 1, unit: 'events/s' },
    );
    const bare = rounds[BARE] as Figure;
    const relayed = rounds[RELAY] as Figure;

    // Latency: one relay and one JetStream consumer running; one event per transaction.
    const latencyStream = `BENCH_LAT_${suffix}`;
    streams.push(latencyStream);
    const relay = createRelay({
      bus,
      nc,
      channel: 'orders',
      stream: { name: latencyStream, subjectPrefix: `${PREFIX}lat` },
      pollIntervalMs: 500,
    });
    await relay.start();
    ctx.onCleanup(() => relay.stop());
    const committedAt = new Map<string, number>();
    let resolveSeen: ((ms: number) => void) | null = null;
    const consumer = subscribeJetStream({
      nc,
      stream: latencyStream,
      subjectPrefix: `${PREFIX}lat`,
      group: 'latency',
      channel: 'orders',
      handler: (e) => {
        const t = committedAt.get(e.id);
        if (t !== undefined) resolveSeen?.(performance.now() - t);
      },
    });
    await consumer.start();
    ctx.onCleanup(() => consumer.stop());
    const roundTrip = async (i: number): Promise<number> => {
      const seen = new Promise<number>((r) => {
        resolveSeen = r;
      });
      const e = event(i);
      await bus.transaction((tx) => bus.publish(tx, e));
      committedAt.set(e.id, performance.now());
      return seen;
    };
    for (let i = 0; i < 20; i++) await roundTrip(i); // warm-up, untimed
    const latency = await ctx.sample(
      'commit -> JetStream consumer',
      async () => {
        const samples: number[] = [];
        for (let i = 0; i < LATENCY_EVENTS; i++) {
          await sleep(Math.random() * 10);
          samples.push(await roundTrip(i));
        }
        samples.sort((a, b) => a - b);
        return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
      },
      { unit: 'ms' },
    );

    const ratio = ctx.ratio('relay / bare js.publish', relayed, bare);
    ctx.target('relay >= 0.7x bare js.publish (same pipelining)', ratio, 0.7, 'atLeast');
    ctx.target('commit -> JetStream consumer p99 <= 100 ms', latency.p99 as Figure, 100, 'atMost');
    ctx.note(
      'Relay throughput includes reading the channel from PostgreSQL, chained expect.lastMsgID on every publish and, per 1,000 events, one statement storing the cursor and the position of the relay consumer group on the bus; the bare loop has none of these.',
    );
    ctx.note(
      'Latency is from the commit returning to the JetStream handler: tick NOTIFY -> relay read -> publish -> ack -> consumer pull (max_ack_pending 1).',
    );
    ctx.note(
      '2 cores shared with PostgreSQL, nats-server and other work: compare same-run ratios.',
    );
  },
});
