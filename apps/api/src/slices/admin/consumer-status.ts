import type { EventBus } from '@vsa/common-events';
import type { ConsumerStatus } from '@vsa/common-events/admin';
import { z } from 'zod';

/**
 * Consumer status as operators see it over HTTP: lag and blocks per group and partition, the
 * age, state and backend pid of the transactions holding delivery back (an operator ends one
 * with `pg_terminate_backend(pid)`). Lease owners (host:pid of the API's processes),
 * application names and SQL text stay out: they describe other sessions and the host.
 */
export const consumerStatusViewSchema = z.object({
  lastTick: z.number().nullable(),
  groups: z.array(
    z.object({
      group: z.string(),
      channel: z.string(),
      partitions: z.int(),
      types: z.array(z.string()).nullable(),
      deadLetters: z.int(),
      lagEvents: z.int(),
      members: z.int().meta({ description: 'Members holding a lease on a partition' }),
      partitionStatus: z.array(
        z.object({
          partition: z.int(),
          position: z.string(),
          lagEvents: z.int(),
          lagSeconds: z.number(),
          oldestUnprocessedAgeSeconds: z.number().nullable(),
          leased: z.boolean().meta({ description: 'A member holds the partition' }),
          blockedSeq: z
            .number()
            .nullable()
            .meta({ description: 'Seq a blocked partition waits at' }),
        }),
      ),
    }),
  ),
  oldestTransactions: z.array(
    z.object({
      pid: z.int().meta({
        description: 'PostgreSQL backend pid of the transaction (what pg_terminate_backend takes)',
      }),
      ageSeconds: z.number(),
      state: z.string().nullable(),
    }),
  ),
});

/** The response shape of `GET /admin/status/consumers`. */
export type ConsumerStatusView = z.output<typeof consumerStatusViewSchema>;

/** Maps the bus's status to {@link ConsumerStatusView}, dropping what identifies hosts and sessions. */
export function consumerStatusView(status: ConsumerStatus): ConsumerStatusView {
  return {
    lastTick: status.lastTick,
    groups: status.groups.map((group) => ({
      group: group.group,
      channel: group.channel,
      partitions: group.partitions,
      types: group.types === null ? null : [...group.types],
      deadLetters: group.deadLetters,
      lagEvents: group.lagEvents,
      members: new Set(
        group.partitionStatus.flatMap((p) => (p.leaseOwner === null ? [] : [p.leaseOwner])),
      ).size,
      partitionStatus: group.partitionStatus.map((partition) => ({
        partition: partition.partition,
        position: partition.position,
        lagEvents: partition.lagEvents,
        lagSeconds: partition.lagSeconds,
        oldestUnprocessedAgeSeconds: partition.oldestUnprocessedAgeSeconds,
        leased: partition.leaseOwner !== null,
        blockedSeq: partition.blockedSeq,
      })),
    })),
    oldestTransactions: status.oldestTransactions.map((tx) => ({
      pid: tx.pid,
      ageSeconds: tx.ageSeconds,
      state: tx.state,
    })),
  };
}

/**
 * The status, read at most once per `ttlMs` (default one second) and shared by every caller
 * in that window, concurrent ones included: a burst of status calls costs one scan, not one
 * per call, so it cannot crowd out order traffic.
 */
export function cachedConsumerStatus(
  bus: Pick<EventBus, 'consumers'>,
  ttlMs = 1000,
  now: () => number = Date.now,
): () => Promise<ConsumerStatusView> {
  let cached: { at: number; value: Promise<ConsumerStatusView> } | undefined;
  return () => {
    const at = now();
    if (cached === undefined || at - cached.at >= ttlMs) {
      const value = bus.consumers.status().then(consumerStatusView);
      // A failed read is not cached: the next call tries again.
      value.catch(() => {
        if (cached?.value === value) cached = undefined;
      });
      cached = { at, value };
    }
    return cached.value;
  };
}
