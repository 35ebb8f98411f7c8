import type { Database } from '@vsa/common-db';
import { getConsumerStatus } from '../consumer/status.js';
import type { EventBuffer } from '../publish/event-buffer.js';
import type { EventBusMetrics } from './metrics.js';

/**
 * Reports the sampled gauges of one bus: lag per group and partition and the oldest
 * transaction holding events back (one status query), buffer depth and pool usage. The
 * lag is the database's view, the same from every process of the app. @internal
 */
export async function sampleBusMetrics(
  db: Database<unknown>,
  schema: string,
  buffer: EventBuffer,
  metrics: EventBusMetrics,
): Promise<void> {
  metrics.bufferDepth?.(buffer.pending);
  const pool = db.poolUsage();
  if (pool !== null) metrics.poolUsage?.(pool);
  if (metrics.consumerLag === undefined && metrics.oldestTransactionAge === undefined) return;
  const status = await getConsumerStatus(db, { schema });
  metrics.consumerLag?.(
    status.groups.flatMap((g) =>
      g.partitionStatus.map((p) => ({
        group: g.group,
        channel: g.channel,
        partition: p.partition,
        events: p.lagEvents,
        seconds: p.lagSeconds,
      })),
    ),
  );
  metrics.oldestTransactionAge?.(status.oldestTransactions[0]?.ageSeconds ?? 0);
}
