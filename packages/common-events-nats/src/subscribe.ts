import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { parseOptions } from '@vsa/common-errors';
import type { EventCatalog, HandlerContext, StoredEvent } from '@vsa/common-events';
import { type BackoffPolicy, type EventBusLogger, retryDelay } from '@vsa/common-events/admin';
import { z } from 'zod';
import { INVALID_ARGUMENT_CODE } from './errors.js';
import { decodeEvent } from './message.js';

const NAME = /^[A-Za-z0-9_-]{1,200}$/;

const optionsSchema: z.ZodType<ResolvedSubscribeOptions> = z.strictObject({
  nc: z.custom<NatsConnection>(
    (v) => typeof v === 'object' && v !== null && 'publish' in v,
    'expected a NatsConnection from connect()',
  ),
  stream: z.string().regex(NAME, 'a stream name'),
  subjectPrefix: z.string().min(1).default('vsa'),
  group: z.string().regex(NAME, 'letters, digits, _ and - (a durable consumer name)'),
  channel: z.string().min(1),
  types: z.array(z.string().min(1)).min(1).optional(),
  handler: z.custom<(event: StoredEvent, context: HandlerContext) => Promise<void> | void>(
    (v) => typeof v === 'function',
    'expected a function (event, context) => Promise<void>',
  ),
  maxAttempts: z.int().min(1).max(1000).default(5),
  backoff: z.custom<BackoffPolicy>((v) => typeof v === 'object' && v !== null).optional(),
  deadLetterSubject: z.string().min(1).optional(),
  startFrom: z
    .union([z.literal('beginning'), z.literal('now'), z.strictObject({ time: z.date() })])
    .default('beginning'),
  maxAckPending: z.int().min(1).max(100_000).default(1),
  ackWaitMs: z.int().min(1000).default(30_000),
  catalog: z
    .custom<EventCatalog>((v) => typeof v === 'object' && v !== null && 'upcast' in v)
    .optional(),
  logger: z.custom<EventBusLogger>((v) => typeof v === 'object' && v !== null).optional(),
});

/**
 * Options of {@link subscribeJetStream}: the bus's `subscribe` options (group, channel, types,
 * handler, maxAttempts, backoff, startFrom, catalog, logger) plus where the stream is.
 */
export interface JetStreamSubscribeOptions {
  /** A connection from `@nats-io/transport-node`'s `connect()`. */
  readonly nc: NatsConnection;
  /** The stream the relay writes the channel to. */
  readonly stream: string;
  /** The stream's subject prefix (default `vsa`). */
  readonly subjectPrefix?: string;
  /** Consumer group: the durable consumer's name. */
  readonly group: string;
  readonly channel: string;
  /** Deliver only these types. */
  readonly types?: readonly string[];
  readonly handler: (event: StoredEvent, context: HandlerContext) => Promise<void> | void;
  /** Deliveries per event before it is dead-lettered (default 5). */
  readonly maxAttempts?: number;
  /** Delays between attempts, as the bus's `subscribe` takes them. */
  readonly backoff?: BackoffPolicy;
  /** Subject dead letters are published to (default `<prefix>-dead.<channel>.<group>`). */
  readonly deadLetterSubject?: string;
  /** Where a new group starts (default `'beginning'`). */
  readonly startFrom?: 'beginning' | 'now' | { readonly time: Date };
  /** Messages handed out before acknowledgement (default 1: the bus's order). */
  readonly maxAckPending?: number;
  /** Redelivery delay of a message whose handler neither acked nor failed (default 30,000 ms). */
  readonly ackWaitMs?: number;
  /** Upcast older event versions with this catalog. */
  readonly catalog?: EventCatalog;
  readonly logger?: EventBusLogger;
}

interface ResolvedSubscribeOptions {
  readonly nc: NatsConnection;
  readonly stream: string;
  readonly subjectPrefix: string;
  readonly group: string;
  readonly channel: string;
  readonly types?: readonly string[] | undefined;
  readonly handler: (event: StoredEvent, context: HandlerContext) => Promise<void> | void;
  readonly maxAttempts: number;
  readonly backoff?: BackoffPolicy | undefined;
  readonly deadLetterSubject?: string | undefined;
  readonly startFrom: 'beginning' | 'now' | { readonly time: Date };
  readonly maxAckPending: number;
  readonly ackWaitMs: number;
  readonly catalog?: EventCatalog | undefined;
  readonly logger?: EventBusLogger | undefined;
}

/** Counters of a {@link JetStreamConsumer}. */
export interface JetStreamConsumerStats {
  readonly handled: number;
  readonly failed: number;
  readonly deadLettered: number;
}

/** A durable JetStream consumer running a bus handler. */
export interface JetStreamConsumer {
  readonly group: string;
  readonly channel: string;
  /** Creates the durable consumer if new, then delivers in the background. */
  start(): Promise<void>;
  /** Stops pulling, waits for the handler in flight. Idempotent. */
  stop(): Promise<void>;
  stats(): JetStreamConsumerStats;
  readonly running: boolean;
}

/**
 * Consumes a relayed channel from JetStream with the handler signature of the bus's
 * `subscribe`: one durable consumer per group, explicit ack after the handler resolves, a
 * retry after the bus's backoff when it throws, and after `maxAttempts` deliveries the message
 * goes to `deadLetterSubject` (default `<prefix>-dead.<channel>.<group>`, which must be in a
 * stream of its own) and is terminated. `maxAckPending: 1` (the default) keeps the bus's
 * order; a higher value trades order for throughput.
 *
 * @example
 * const consumer = subscribeJetStream({ nc, stream: 'ORDERS', group: 'billing', channel: 'orders',
 *   handler: async (event, { attempt }) => { await bill(event.payload); } });
 * await consumer.start();
 */
export function subscribeJetStream(options: JetStreamSubscribeOptions): JetStreamConsumer {
  const o = parseOptions(optionsSchema, options, {
    where: 'subscribeJetStream(options)',
    code: INVALID_ARGUMENT_CODE,
  });
  const js = jetstream(o.nc);
  const deadLetterSubject =
    o.deadLetterSubject ?? `${o.subjectPrefix}-dead.${o.channel}.${o.group}`;
  const filters = (o.types ?? ['*']).map((t) => `${o.subjectPrefix}.${o.channel}.${t}`);
  const stats = { handled: 0, failed: 0, deadLettered: 0 };
  let messages: ConsumerMessages | null = null;
  let loop: Promise<void> | null = null;
  let running = false;

  async function handle(m: JsMsg): Promise<void> {
    const attempt = m.info.deliveryCount;
    const stored = decodeEvent(m.headers as NonNullable<JsMsg['headers']>, m.string());
    const event = o.catalog === undefined ? stored : o.catalog.upcast(stored);
    try {
      await o.handler(event, { group: o.group, partition: 0, attempt });
      stats.handled += 1;
      await m.ackAck();
    } catch (error) {
      stats.failed += 1;
      if (attempt >= o.maxAttempts) {
        // Dead letter first, then term: a crash in between redelivers, never loses.
        // Fresh headers: the stored ones include the relay's Nats-Expected-* headers, which
        // would make the dead-letter stream reject the publish.
        const h = headers();
        for (const name of m.headers?.keys() ?? []) {
          if (name.startsWith('Nats-')) continue;
          for (const v of m.headers?.values(name) ?? []) h.append(name, v);
        }
        h.set(
          'Vsa-Dead-Letter-Error',
          describe(error)
            .replace(/[\r\n]+/g, ' ')
            .slice(0, 1000),
        );
        h.set('Vsa-Dead-Letter-Group', o.group);
        await js.publish(deadLetterSubject, m.data, {
          msgID: `${o.group}:${m.info.streamSequence}`,
          headers: h,
        });
        stats.deadLettered += 1;
        m.term();
        o.logger?.error(
          { err: error, group: o.group, id: event.id },
          'jetstream consumer: event dead-lettered',
        );
      } else {
        m.nak(retryDelay(o.backoff ?? {}, attempt));
        o.logger?.warn(
          { err: error, group: o.group, id: event.id, attempt },
          'jetstream consumer: handler failed; retrying',
        );
      }
    }
  }

  return {
    group: o.group,
    channel: o.channel,
    get running() {
      return running;
    },
    stats: () => ({ ...stats }),
    async start() {
      if (running) return;
      const jsm = await jetstreamManager(o.nc);
      const existing = await jsm.consumers.info(o.stream, o.group).catch(() => null);
      if (existing === null) {
        await jsm.consumers.add(o.stream, {
          durable_name: o.group,
          ack_policy: AckPolicy.Explicit,
          // Attempts are counted by the handler loop (dead letter, then term): the server
          // must never drop a message on its own.
          max_deliver: -1,
          ack_wait: o.ackWaitMs * 1_000_000,
          max_ack_pending: o.maxAckPending,
          ...(filters.length === 1
            ? { filter_subject: filters[0] as string }
            : { filter_subjects: filters }),
          ...(o.startFrom === 'beginning'
            ? { deliver_policy: DeliverPolicy.All }
            : o.startFrom === 'now'
              ? { deliver_policy: DeliverPolicy.New }
              : {
                  deliver_policy: DeliverPolicy.StartTime,
                  opt_start_time: o.startFrom.time.toISOString(),
                }),
        });
      }
      const consumer = await js.consumers.get(o.stream, o.group);
      messages = await consumer.consume({
        max_messages: Math.max(1, Math.min(o.maxAckPending, 1000)),
      });
      running = true;
      const iterator = messages;
      loop = (async () => {
        for await (const m of iterator) {
          await handle(m).catch((error: unknown) => {
            o.logger?.error(
              { err: error, group: o.group },
              'jetstream consumer: ack or dead letter failed; the message is redelivered',
            );
          });
        }
      })();
    },
    async stop() {
      if (!running) return;
      running = false;
      await messages?.close();
      await loop;
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
