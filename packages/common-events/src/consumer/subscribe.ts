import type { Database } from '@vsa/common-db';
import { InvalidArgumentError } from '../errors.js';
import { untraced } from '../observability/tracing.js';
import { consumerSql } from './consumer-sql.js';
import {
  type ResolvedSubscribeOptions,
  resolveSubscribeOptions,
  type SubscribeOptions,
} from './options.js';
import { newLifecycle, startConsumer, stopConsumer } from './runtime/lifecycle.js';
import { defaultMemberId } from './runtime/membership.js';
import { createRuntime } from './runtime/state.js';
import { statsOf } from './runtime/stats.js';
import type { Consumer } from './runtime/types.js';

export type { Consumer, ConsumerStats, PartitionStats } from './runtime/types.js';

/**
 * Joins (creating if needed) the durable consumer group `options.group` on
 * `options.channel`. Delivery is at-least-once, in commit order per key (for writers that
 * lock the key, `lockKeys`, or one writer per key), and never skips an event that committed
 * late. Call `start()` to begin and `stop()` to leave gracefully.
 *
 * @example
 * const consumer = subscribe(db, {
 *   group: 'billing', channel: 'orders', mode: 'transactional',
 *   handler: async (event, { tx }) => {
 *     await tx.sql`insert into invoices (order_id) values (${event.key}) on conflict do nothing`;
 *   },
 * });
 * await consumer.start();
 * // on shutdown:
 * await consumer.stop();
 */
export function subscribe<Client = unknown>(
  db: Database<Client>,
  options: SubscribeOptions<Client>,
): Consumer {
  if (typeof db !== 'object' || db === null || typeof db.transaction !== 'function') {
    throw new InvalidArgumentError('subscribe(db, options): db must be a @vsa/common-db Database.');
  }
  // The runtime only passes `tx` through to the handler: it does not depend on the client.
  return consumerFrom(
    db as Database<unknown>,
    resolveSubscribeOptions(options as SubscribeOptions),
  );
}

/** A consumer from options parsed already (`bus.consumers.subscribe`'s). @internal */
export function consumerFrom(db: Database<unknown>, resolved: ResolvedSubscribeOptions): Consumer {
  const rt = createRuntime({
    db,
    options: resolved,
    sql: consumerSql(resolved.schema),
    memberId: resolved.memberId ?? defaultMemberId(),
  });
  const life = newLifecycle();
  const consumer: Consumer = {
    group: resolved.group,
    channel: resolved.channel,
    memberId: rt.memberId,
    // Untraced: the loop and timers started here inherit it; deliveries trace themselves.
    start: () => untraced(() => startConsumer(rt, life, consumer)),
    stop: () => untraced(() => stopConsumer(rt, life)),
    stats: () => statsOf(rt, life.listening()),
    get running() {
      return rt.phase === 'running';
    },
  };
  return consumer;
}
