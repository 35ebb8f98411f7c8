import type { Database } from '@vsa/common-db';
import type { EventBus } from '@vsa/common-events';
import type { AnyEventDefinition } from '@vsa/common-events/admin';
import type { PrismaClient } from '../../generated/prisma/client.js';

/** What the inventory slice touches, and nothing more. */
export interface InventorySliceOptions {
  readonly db: Database<PrismaClient>;
  readonly bus: Pick<EventBus<AnyEventDefinition, PrismaClient>, 'publish' | 'consumers'>;
}
