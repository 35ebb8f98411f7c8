import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createDatabase, type Database } from '@vsa/common-db';
import { createEventBus, defineCatalog, defineEvent, getEventsByChannel } from '@vsa/common-events';
import type { ConsumerLagSample } from '@vsa/common-events/admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RelayGroupConflictError, StreamConfigConflictError } from './errors.js';
import { createRelay } from './relay.js';
import { ensureStream } from './stream.js';
import { startTcpProxy, type TcpProxy } from './test-support/tcp-proxy.js';

const url = process.env.DATABASE_URL;
const suffix = randomBytes(4).toString('hex');
const schema = `nats_relay_${suffix}`;
const streamName = `T_RELAY_${suffix}`;
const prefix = `trelay${suffix}`;
const channel = 'orders';
const stream = { name: streamName, subjectPrefix: prefix, duplicateWindowMs: 1000 };
const OrderPlaced = defineEvent({
  channel,
  type: 'OrderPlaced',
  version: 1,
  payload: z.object({ key: z.string(), n: z.number() }),
});
const catalog = defineCatalog([OrderPlaced]);
const worker = fileURLToPath(new URL('./test-support/relay-worker.mjs', import.meta.url));

let db: Database<unknown>;
let nc: NatsConnection;
let proxy: TcpProxy;

async function streamCount(): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(streamName)).state.messages;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  // A bounded wait on an observable condition, polled (no fixed sleep decides the outcome).
  const deadline = Date.now() + 40_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startWorker(): ChildProcess {
  // From the package folder, where `tsx` (a dev dependency) resolves.
  const child = spawn(process.execPath, ['--import', 'tsx', worker], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: {
      ...process.env,
      VSA_RELAY_WORKER: JSON.stringify({ url, schema, channel, stream, natsPort: proxy.port }),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return child;
}

async function started(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('started') && resolve());
    child.on('exit', (code) => reject(new Error(`relay worker exited with ${code}`)));
  });
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  child.kill(signal);
  await exited;
}

async function publish(from: number, count: number): Promise<void> {
  const bus = createEventBus({ db, catalog, schema });
  // 50 keys, numbered per key, published in transactions of 250 events from 4 writers at once.
  const batches: number[][] = [];
  for (let i = from; i < from + count; i += 250) {
    batches.push(Array.from({ length: Math.min(250, from + count - i) }, (_, j) => i + j));
  }
  const writers = Array.from({ length: 4 }, async (_, w) => {
    for (let b = w; b < batches.length; b += 4) {
      const events = (batches[b] as number[]).map((n) =>
        OrderPlaced.create(
          { key: `k${n % 50}`, n },
          { key: `k${n % 50}`, metadata: { correlationId: `c${n}` } },
        ),
      );
      await bus.publish(db, events);
    }
  });
  await Promise.all(writers);
}

async function readStream(): Promise<{ msgId: string; key: string; n: number; id: string }[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(streamName);
  const total = await streamCount();
  const out: { msgId: string; key: string; n: number; id: string }[] = [];
  const messages = await consumer.consume();
  for await (const m of messages) {
    const body = JSON.parse(m.string()) as { payload: { key: string; n: number } };
    out.push({
      msgId: m.headers?.get('Nats-Msg-Id') ?? '',
      key: body.payload.key,
      n: body.payload.n,
      id: m.headers?.get('Vsa-Event-Id') ?? '',
    });
    if (out.length === total) break;
  }
  await messages.close();
  return out;
}

async function busOrder(): Promise<string[]> {
  const positions: string[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await getEventsByChannel(db, channel, { schema, after, limit: 5000 });
    if (page.events.length === 0) return positions;
    positions.push(...page.events.map((e) => e.position));
    after = page.nextCursor;
  }
}

describe.skipIf(url === undefined)('relay into JetStream (real nats-server)', () => {
  beforeAll(async () => {
    db = await createDatabase({ url: url as string, pool: { max: 6 } });
    await createEventBus({ db, catalog, schema }).install();
    nc = await connect({ servers: '127.0.0.1:4222' });
    proxy = await startTcpProxy(4222);
  });

  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(streamName).catch(() => undefined);
    await nc.close();
    await proxy.close();
    await db.query(`drop schema if exists "${schema}" cascade`);
    await db.query(`drop schema if exists "${schema}_nats" cascade`);
    await db.close();
  });

  it('relays 10,000 events exactly once in bus order through two SIGKILLs, a cut connection and a restart after the duplicate window', async () => {
    const bus = createEventBus({ db, catalog, schema });
    const group = `nats-relay:${streamName}`;
    await publish(0, 4000);
    let child = startWorker();
    await started(child);
    const writing = publish(4000, 6000);

    await until('2,000 relayed', async () => (await streamCount()) >= 2000);
    await kill(child, 'SIGKILL');
    child = startWorker();
    await started(child);
    await until('5,000 relayed', async () => (await streamCount()) >= 5000);
    proxy.cut();
    await until('7,000 relayed', async () => (await streamCount()) >= 7000);
    await kill(child, 'SIGKILL');
    child = startWorker();
    await started(child);
    await writing;
    await until('10,000 relayed', async () => (await streamCount()) >= 10_000);
    await kill(child, 'SIGKILL');

    // The worst crash: JetStream acknowledged 5,000 events the relay never recorded (its
    // cursor row and its bus group both still at the 5,000th). Past the 1 s duplicate window
    // the server no longer knows their message ids: only the reconciliation from the stream's
    // last message keeps the restart from publishing them again.
    const fifthThousandth = (await busOrder())[4999] as string;
    await db.query(`update "${schema}_nats".relay_cursors set position = $1, stream_seq = 5000`, [
      fifthThousandth,
    ]);
    const [tick, seq] = fifthThousandth.split(':').map(Number);
    await db.query(
      `update "${schema}".consumer_positions set tick_id = $1, seq = $2 where group_name = $3`,
      [tick, seq, group],
    );
    await new Promise((r) => setTimeout(r, 1500));
    child = startWorker();
    await started(child);
    await publish(10_000, 10);
    await until('10,010 relayed', async () => (await streamCount()) >= 10_010);
    // The bus's status shows the relay's group caught up, as any consumer group.
    await until('the relay group caught up in the bus status', async () => {
      const [g] = (await bus.consumers.status({ group })).groups;
      return g?.lagEvents === 0;
    });
    await kill(child, 'SIGKILL');

    const messages = await readStream();
    expect(messages).toHaveLength(10_010);
    expect(new Set(messages.map((m) => m.id)).size).toBe(10_010);
    // Exactly the bus's order (commit order: the four writers' transactions interleave), so
    // also the bus's order of each key.
    expect(messages.map((m) => m.msgId)).toEqual(await busOrder());
  }, 150_000); // two SIGKILLs and restarts of a child process: slow on a loaded 2-core machine

  it('waits while NATS is unreachable, its lag grows in the bus status and lag metrics, and it resumes by itself', async () => {
    const cnc = await connect({
      servers: `127.0.0.1:${proxy.port}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 50,
    });
    // The app's bus, ticker running and a metrics recorder wired: what an operator looks at.
    let lagSamples: readonly ConsumerLagSample[] = [];
    const bus = createEventBus({
      db,
      catalog,
      schema,
      metrics: {
        consumerLag: (partitions) => {
          lagSamples = partitions;
        },
      },
    });
    await bus.start();
    const relay = createRelay({
      bus,
      nc: cnc,
      channel,
      stream,
      pollIntervalMs: 50,
      publishTimeoutMs: 500,
      retry: { initialMs: 20, maxMs: 200 },
    });
    const group = `nats-relay:${streamName}`;
    const busLag = async () => {
      const [g] = (await bus.consumers.status({ group })).groups;
      return { lag: g?.lagEvents, owner: g?.partitionStatus[0]?.leaseOwner ?? null };
    };
    const sampledLag = async () => {
      await bus.sampleMetrics();
      return lagSamples.find((p) => p.group === group && p.channel === channel);
    };
    await relay.start();
    expect((await relay.status()).group).toBe(group);
    await until('caught up', async () => (await busLag()).lag === 0);
    expect((await busLag()).owner).toMatch(/:\d+:/); // host:pid:random of this process

    await proxy.pause();
    await publish(20_000, 100);
    await until('a failed attempt', async () => (await relay.status()).failures > 0);
    await until('the lag in the bus status', async () => (await busLag()).lag === 100);
    const down = await relay.status();
    expect(down.healthy).toBe(false);
    expect(down.pending).toBe(100);
    expect(down.lagMs).toBeGreaterThan(0);
    expect(await sampledLag()).toMatchObject({ partition: 0, events: 100 });
    await publish(20_100, 50);
    await until('the lag growing', async () => (await busLag()).lag === 150);
    expect(await sampledLag()).toMatchObject({ events: 150 });
    // Retention deletes what the relay passed and keeps what it has not relayed yet.
    const relayed = await busOrder();
    await bus.consumers.pruneEvents({ olderThan: new Date(Date.now() + 60_000) });
    const pending = await busOrder();
    expect(pending).toHaveLength(150);
    expect(relayed.slice(-150)).toEqual(pending);

    await proxy.resume();
    // The failure count resets when the loop iteration that published completes, just after
    // the last ack: wait for both.
    await until('caught up again', async () => {
      const s = await relay.status();
      return s.pending === 0 && s.failures === 0 && (await busLag()).lag === 0;
    });
    const up = await relay.status();
    expect(up.healthy).toBe(true);
    expect(up.lastError).toBeNull();
    expect(await sampledLag()).toMatchObject({ events: 0 });
    await relay.stop();
    // Stopped: still listed with its position, nobody holds it.
    expect(await busLag()).toEqual({ lag: 0, owner: null });
    await bus.stop();
    await cnc.close();
    const messages = await readStream();
    expect(new Set(messages.map((m) => m.id)).size).toBe(messages.length);
    expect(messages.map((m) => m.msgId)).toEqual(relayed);
  }, 30_000);

  it('refuses to run as a consumer group that bus consumers use', async () => {
    const bus = createEventBus({ db, catalog, schema });
    const consumer = bus.consumers.subscribe({
      group: 'nats-relay:taken',
      channel,
      partitions: 2,
      startFrom: 'now',
      handler: () => {},
    });
    await consumer.start();
    await consumer.stop();
    const relay = createRelay({ bus, nc, channel, stream, name: 'taken' });
    const error = await relay.install().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RelayGroupConflictError);
    expect((error as RelayGroupConflictError).code).toBe('VSA_EVENTS_NATS_GROUP_CONFLICT');
    expect((error as Error).message).toContain('2 partition(s)');
  });

  it('refuses a stream whose configuration conflicts with the settings, naming each field', async () => {
    const jsm = await jetstreamManager(nc);
    const error = await ensureStream(jsm, {
      ...stream,
      duplicateWindowMs: 5000,
      replicas: 1,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamConfigConflictError);
    expect((error as StreamConfigConflictError).code).toBe('VSA_EVENTS_NATS_STREAM_CONFLICT');
    expect((error as Error).message).toContain(
      'duplicateWindowMs: stream has 1000, settings want 5000',
    );
  });
});
