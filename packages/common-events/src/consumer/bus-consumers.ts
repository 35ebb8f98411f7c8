import type { Database } from '@vsa/common-db';
import {
  type DeadLetter,
  discardDeadLetters,
  type ListDeadLettersOptions,
  listDeadLetters,
  type PruneEventsOptions,
  type PruneResult,
  pruneEvents,
  type ResetGroupOptions,
  redriveDeadLetters,
  resetGroup,
} from './admin.js';
import {
  type BusSubscribeOptions,
  type BusSubscriptionContext,
  busSubscribeParser,
} from './options.js';
import { type ConsumerStatus, type ConsumerStatusOptions, getConsumerStatus } from './status.js';
import { type Consumer, consumerFrom } from './subscribe.js';

type Selection =
  | { readonly ids: readonly number[] }
  | { readonly group: string; readonly channel?: string };

/** Consumer groups of one bus: subscribe plus the admin functions, bound to its schema. */
export interface BusConsumers<Client = unknown> {
  /** A durable consumer group member on this bus (see `subscribe`); stopped by `bus.stop()`. */
  subscribe(options: BusSubscribeOptions<Client>): Consumer;
  /** Lag, leases, dead-letter depth and blocking transactions (see `getConsumerStatus`). */
  status(options?: Omit<ConsumerStatusOptions, 'schema'>): Promise<ConsumerStatus>;
  listDeadLetters(options?: Omit<ListDeadLettersOptions, 'schema'>): Promise<DeadLetter[]>;
  redriveDeadLetters(selection: Selection): Promise<number>;
  discardDeadLetters(selection: Selection): Promise<number>;
  resetGroup(options: Omit<ResetGroupOptions, 'schema'>): Promise<string>;
  pruneEvents(options: Omit<PruneEventsOptions, 'schema'>): Promise<PruneResult>;
  /** Stops every consumer created through `subscribe` here (graceful). */
  stopAll(): Promise<void>;
}

/** Builds `bus.consumers`. @internal */
export function createBusConsumers<Client = unknown>(
  context: BusSubscriptionContext & { readonly db: Database<unknown> },
): BusConsumers<Client> {
  const { db, schema } = context;
  const started = new Set<Consumer>();
  // The bus's defaults are the schema's defaults: an option given as undefined keeps them
  // (e.g. EVENTS_LISTEN=false stays polling-only).
  const parse = busSubscribeParser(context);
  return {
    subscribe(options) {
      const consumer = consumerFrom(db, parse(options as BusSubscribeOptions<unknown>));
      started.add(consumer);
      return consumer;
    },
    status: (options = {}) => getConsumerStatus(db, { ...options, schema }),
    listDeadLetters: (options = {}) => listDeadLetters(db, { ...options, schema }),
    redriveDeadLetters: (selection) => redriveDeadLetters(db, { ...selection, schema }),
    discardDeadLetters: (selection) => discardDeadLetters(db, { ...selection, schema }),
    resetGroup: (options) => resetGroup(db, { ...options, schema }),
    pruneEvents: (options) => pruneEvents(db, { ...options, schema }),
    async stopAll() {
      await Promise.all([...started].map((c) => c.stop()));
      started.clear();
    },
  };
}
