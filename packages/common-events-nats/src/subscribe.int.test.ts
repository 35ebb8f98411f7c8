import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { createDatabase, type Database } from '@vsa/common-db';
import {
  createEventBus,
  defineCatalog,
  defineEvent,
  type EventBus,
  type StoredEvent,
} from '@vsa/common-events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRelay, type Relay } from './relay.js';
import { ensureStream } from './stream.js';
import { subscribeJetStream } from './subscribe.js';

const url = process.env.DATABASE_URL;
const suffix = randomBytes(4).toString('hex');
const schema = `nats_sub_${suffix}`;
const streamName = `T_SUB_${suffix}`;
const deadStream = `T_SUB_DEAD_${suffix}`;
const prefix = `tsub${suffix}`;
const channel = 'orders';
const OrderPlaced = defineEvent({
  channel,
  type: 'OrderPlaced',
  version: 1,
  payload: z.object({ orderId: z.string(), total: z.number() }),
});
const catalog = defineCatalog([OrderPlaced]);

let db: Database<unknown>;
let nc: NatsConnection;
let bus: EventBus;
let relay: Relay;

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What both transports must agree on. */
function view(e: StoredEvent): unknown {
  return {
    id: e.id,
    channel: e.channel,
    type: e.type,
    version: e.version,
    key: e.key,
    payload: e.payload,
    metadata: e.metadata,
    seq: e.seq,
    txId: e.txId,
    position: e.position,
    occurredAt: e.occurredAt.toISOString(),
    recordedAt: e.recordedAt.toISOString(),
    idempotencyKey: e.idempotencyKey,
  };
}

describe.skipIf(url === undefined)('subscribeJetStream (real nats-server)', () => {
  beforeAll(async () => {
    db = await createDatabase({ url: url as string, pool: { max: 6 } });
    bus = createEventBus({ db, catalog, schema });
    await bus.install();
    await bus.start();
    nc = await connect({ servers: '127.0.0.1:4222' });
    const jsm = await jetstreamManager(nc);
    // Dead letters live in a stream of their own: the relayed stream has one writer.
    await ensureStream(jsm, { name: deadStream, subjectPrefix: `${prefix}-dead` });
    relay = createRelay({
      bus,
      nc,
      channel,
      stream: { name: streamName, subjectPrefix: prefix },
      pollIntervalMs: 50,
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay.stop();
    await bus.stop();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(streamName).catch(() => undefined);
    await jsm.streams.delete(deadStream).catch(() => undefined);
    await nc.close();
    await db.query(`drop schema if exists "${schema}" cascade`);
    await db.query(`drop schema if exists "${schema}_nats" cascade`);
    await db.close();
  });

  it('delivers the same ids, payloads and metadata as a PostgreSQL consumer, in the same order', async () => {
    const events = Array.from({ length: 50 }, (_, i) =>
      OrderPlaced.create(
        { orderId: `o${i % 7}`, total: i },
        {
          key: `o${i % 7}`,
          metadata: {
            correlationId: `corr-${i}`,
            traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
            tenant: 'acme',
          },
        },
      ),
    );
    await bus.transaction((tx) => bus.publish(tx, events.slice(0, 20)));
    await bus.transaction((tx) => bus.publish(tx, events.slice(20)));

    const fromPg: StoredEvent[] = [];
    const fromJs: StoredEvent[] = [];
    const pgConsumer = bus.consumers.subscribe({
      group: 'parity',
      channel,
      handler: (e) => {
        fromPg.push(e);
      },
    });
    const jsConsumer = subscribeJetStream({
      nc,
      stream: streamName,
      subjectPrefix: prefix,
      group: 'parity',
      channel,
      handler: (e, context) => {
        expect(context).toEqual({ group: 'parity', partition: 0, attempt: 1 });
        fromJs.push(e);
      },
    });
    await pgConsumer.start();
    await jsConsumer.start();
    await until('both consumers saw 50 events', () => fromPg.length === 50 && fromJs.length === 50);
    await pgConsumer.stop();
    await jsConsumer.stop();
    expect(fromJs.map(view)).toEqual(fromPg.map(view));
    expect(fromJs[0]?.metadata).toMatchObject({ correlationId: 'corr-0', tenant: 'acme' });
  });

  it('retries a failing handler with backoff, then dead-letters the event and goes on', async () => {
    const attempts: number[] = [];
    const handled: number[] = [];
    const attemptsBeforeNext: number[] = [];
    const poison = OrderPlaced.create({ orderId: 'poison', total: -1 }, { key: 'poison' });
    const fine = OrderPlaced.create({ orderId: 'fine', total: 1 }, { key: 'fine' });
    const consumer = subscribeJetStream({
      nc,
      stream: streamName,
      subjectPrefix: prefix,
      group: 'dead-letters',
      channel,
      startFrom: 'now',
      maxAttempts: 3,
      backoff: { initialMs: 10, maxMs: 20 },
      handler: (e, { attempt }) => {
        const total = (e.payload as { total: number }).total;
        if (total < 0) {
          attempts.push(attempt);
          throw new Error('poison');
        }
        attemptsBeforeNext.push(attempts.length);
        handled.push(total);
      },
    });
    await consumer.start();
    await bus.transaction((tx) => bus.publish(tx, [poison, fine]));
    await until('the next event after the dead letter', () => handled.length === 1);
    await consumer.stop();
    expect(attempts).toEqual([1, 2, 3]);
    // The next event waited for the failing one (maxAckPending 1): all its attempts came first.
    expect(attemptsBeforeNext).toEqual([3]);
    expect(consumer.stats()).toMatchObject({ deadLettered: 1, handled: 1 });
    const jsm = await jetstreamManager(nc);
    const dead = await jsm.streams.getMessage(deadStream, {
      last_by_subj: `${prefix}-dead.${channel}.dead-letters`,
    });
    expect(dead?.header.get('Vsa-Event-Id')).toBe(poison.id);
    expect(dead?.header.get('Vsa-Dead-Letter-Error')).toBe('Error: poison');
  });
});
