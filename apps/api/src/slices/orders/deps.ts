import type { Database } from '@vsa/common-db';
import type { EventBus } from '@vsa/common-events';
import type { AnyEventDefinition } from '@vsa/common-events/admin';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { IdempotencyKeyPolicy } from './idempotency-keys.js';

/** What the orders slice touches, and nothing more. */
export interface OrdersSliceOptions {
  readonly db: Database<PrismaClient>;
  readonly bus: Pick<
    EventBus<AnyEventDefinition, PrismaClient>,
    'publish' | 'transaction' | 'consumers'
  >;
  /** Idempotency-Key expiry (IDEMPOTENCY_KEY_TTL_MS) and cleanup (IDEMPOTENCY_KEY_SWEEP_INTERVAL_MS). */
  readonly idempotencyKeys: IdempotencyKeyPolicy;
}
