import type { Database } from '@vsa/common-db';
import type { FastifyBaseLogger } from 'fastify';
import type { PrismaClient } from '../../generated/prisma/client.js';
import { IdempotencyKeyReusedError } from './errors.js';
import type { OrderView } from './order-view.js';

/** How long a key is remembered, and how often expired keys are deleted (0: never). */
export interface IdempotencyKeyPolicy {
  readonly ttlMs: number;
  readonly sweepIntervalMs: number;
}

/** What the first request with a key answered, to replay it. */
export type ClaimedKey =
  | { readonly replay: false }
  | { readonly replay: true; readonly status: number; readonly view: OrderView };

/**
 * Claims `key` inside the order's transaction. A new key is inserted (ON CONFLICT DO NOTHING: a
 * concurrent duplicate waits on the row until the first commits). A live key with the same body
 * replays the first response; with another body it is a 422. A key older than `ttlMs` counts
 * as new (the IETF draft lets keys expire): the row is taken over by a conditional UPDATE, so
 * of two concurrent takeovers one wins and the other sees its committed row. Only the primary
 * key is touched: nothing here scans the table.
 */
export async function claimIdempotencyKey(
  prisma: Pick<PrismaClient, 'idempotencyKey'>,
  key: string,
  fingerprint: string,
  ttlMs: number,
): Promise<ClaimedKey> {
  const { count } = await prisma.idempotencyKey.createMany({
    data: [{ key, fingerprint, status: 0, response: {} }],
    skipDuplicates: true,
  });
  if (count === 1) return { replay: false };
  const expiredBefore = new Date(Date.now() - ttlMs);
  const takenOver = await prisma.idempotencyKey.updateMany({
    where: { key, createdAt: { lt: expiredBefore } },
    data: { fingerprint, status: 0, response: {}, createdAt: new Date() },
  });
  if (takenOver.count === 1) return { replay: false };
  const first = await prisma.idempotencyKey.findUniqueOrThrow({ where: { key } });
  if (first.fingerprint !== fingerprint) throw new IdempotencyKeyReusedError();
  return { replay: true, status: first.status, view: first.response as OrderView };
}

/**
 * Deletes keys older than `ttlMs`, `batchSize` at a time through the `createdAt` index (never
 * one statement over a large backlog). Returns how many were deleted.
 */
export async function deleteExpiredIdempotencyKeys(
  db: Database<PrismaClient>,
  ttlMs: number,
  batchSize = 1000,
): Promise<number> {
  const expiredBefore = new Date(Date.now() - ttlMs);
  let deleted = 0;
  for (;;) {
    const batch = await db.prisma.idempotencyKey.findMany({
      where: { createdAt: { lt: expiredBefore } },
      orderBy: { createdAt: 'asc' },
      select: { key: true },
      take: batchSize,
    });
    if (batch.length === 0) return deleted;
    const { count } = await db.prisma.idempotencyKey.deleteMany({
      // createdAt again: a key taken over since the read is live and stays.
      where: { key: { in: batch.map((row) => row.key) }, createdAt: { lt: expiredBefore } },
    });
    deleted += count;
    if (batch.length < batchSize) return deleted;
  }
}

/**
 * Runs {@link deleteExpiredIdempotencyKeys} at start and every `sweepIntervalMs`, off the
 * request path. A failed sweep (database down) is logged and tried again next time. Several
 * instances may sweep at once: deleting an expired key twice is harmless.
 */
export function startIdempotencyKeySweeper(
  db: Database<PrismaClient>,
  policy: IdempotencyKeyPolicy,
  log: FastifyBaseLogger,
): { stop(): Promise<void> } {
  if (policy.sweepIntervalMs === 0) return { stop: async () => {} };
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const sweep = (): void => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        const deleted = await deleteExpiredIdempotencyKeys(db, policy.ttlMs);
        if (deleted > 0) log.info({ deleted }, 'expired idempotency keys deleted');
      } catch (err) {
        log.warn({ err }, 'deleting expired idempotency keys failed; trying again later');
      }
    });
  };
  sweep();
  const timer = setInterval(sweep, policy.sweepIntervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
