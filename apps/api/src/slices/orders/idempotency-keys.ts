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
 * One batch of the sweep: the oldest expired keys through the `createdAt` index, deleted
 * unless taken over since (`createdAt` checked again on the row deleted). Raw SQL: the sweep
 * runs at start, and through Prisma it would load Prisma's query engine (+64 MiB resident on
 * PGlite) before any request needs it.
 */
const DELETE_EXPIRED_BATCH = `with batch as (
  select key from "IdempotencyKey" where "createdAt" < $1::timestamp(3) order by "createdAt" limit $2
), deleted as (
  delete from "IdempotencyKey" k using batch where k.key = batch.key and k."createdAt" < $1::timestamp(3)
  returning 1
)
select (select count(*) from batch)::int as read, (select count(*) from deleted)::int as deleted`;

/**
 * Deletes keys older than `ttlMs`, `batchSize` at a time through the `createdAt` index (never
 * one statement over a large backlog). Returns how many were deleted.
 */
export async function deleteExpiredIdempotencyKeys(
  db: Database<PrismaClient>,
  ttlMs: number,
  batchSize = 1000,
): Promise<number> {
  // UTC wall-clock time for the timestamp(3) column, as Prisma writes it.
  const expiredBefore = new Date(Date.now() - ttlMs).toISOString();
  let deleted = 0;
  for (;;) {
    const { rows } = await db.query<{ read: number; deleted: number }>(
      DELETE_EXPIRED_BATCH,
      [expiredBefore, batchSize],
      { name: 'orders_delete_expired_idempotency_keys' },
    );
    const batch = rows[0] ?? { read: 0, deleted: 0 };
    deleted += batch.deleted;
    if (batch.read < batchSize) return deleted;
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
