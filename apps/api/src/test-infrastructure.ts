import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestEngine } from '@vsa/common-db/testing';
import { createEventBus } from '@vsa/common-events';
import type { EventBusMetrics } from '@vsa/common-events/admin';
import { catalog } from './events/catalog.js';
import { PrismaClient } from './generated/prisma/client.js';
import type { ApiEventBus, Infrastructure } from './infrastructure.js';

const migrationsDir = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

/** A fresh, migrated database (its own database or PGlite instance) with a started bus. */
export async function createTestInfrastructure(
  engine: TestEngine,
  options: { readonly metrics?: EventBusMetrics } = {},
): Promise<Infrastructure & { bus: ApiEventBus }> {
  const test = await createTestDatabase({
    engine,
    PrismaClient,
    migrations: { dir: migrationsDir },
  });
  const bus = createEventBus({
    db: test.db,
    catalog,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
  });
  await bus.install();
  await bus.start();
  return {
    db: test.db,
    bus,
    async close() {
      await bus.stop();
      await test.drop();
    },
  };
}
