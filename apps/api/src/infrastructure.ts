import { fileURLToPath } from 'node:url';
import {
  applyMigrations,
  createDatabase,
  type Database,
  databaseOptionsFromSettings,
} from '@vsa/common-db';
import { createEventBus, type EventBus, eventBusOptionsFromSettings } from '@vsa/common-events';
import type { EventBusMetrics } from '@vsa/common-events/admin';
import type { Logger } from 'pino';
import { catalog } from './events/catalog.js';
import { PrismaClient } from './generated/prisma/client.js';
import { type ApiSettings, migrateOnStart } from './settings.js';

/** The API's event bus, typed by its catalog. */
export type ApiEventBus = EventBus<(typeof catalog.definitions)[number], PrismaClient>;

/** Database and event bus, opened and migrated; `close()` stops them in order. */
export interface Infrastructure {
  readonly db: Database<PrismaClient>;
  readonly bus: ApiEventBus;
  close(): Promise<void>;
}

/**
 * The bus whose consumer groups know this process by `memberId` (the `INSTANCE_ID` setting)
 * unless a subscription names its own; unchanged without one. A stable member id lets a
 * restarted process take its partitions back at once instead of after a heartbeat timeout.
 */
export function withMemberId(bus: ApiEventBus, memberId: string | undefined): ApiEventBus {
  if (memberId === undefined) return bus;
  const consumers = bus.consumers;
  return {
    ...bus,
    consumers: {
      ...consumers,
      subscribe: (options) => consumers.subscribe({ memberId, ...options }),
    },
  };
}

/**
 * The app's own Prisma migrations folder, found from this module (src/ or dist/, one level
 * below the app), so the server applies them whatever directory it was started from.
 */
export const APP_MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

/**
 * Opens the database named by the settings (PostgreSQL, or embedded PGlite by default),
 * applies pending migrations of the event bus and of the app unless told not to, and starts
 * the bus's ticker.
 */
export async function openInfrastructure(
  settings: ApiSettings,
  logger: Logger,
  migrationsDir: string = APP_MIGRATIONS_DIR,
  metrics?: EventBusMetrics,
): Promise<Infrastructure> {
  const db = await createDatabase({
    // Pool acquire (DB_CONNECT_TIMEOUT_MS) and query (DB_QUERY_TIMEOUT_MS) timeouts included:
    // a pool with every connection taken, or a hung server, fails fast as a 503, not a hang.
    ...databaseOptionsFromSettings(settings),
    PrismaClient,
    logger: logger.child({ module: 'db' }),
  });
  const bus = withMemberId(
    createEventBus({
      db,
      catalog,
      logger: logger.child({ module: 'events' }),
      ...eventBusOptionsFromSettings(settings),
      ...(metrics === undefined ? {} : { metrics }),
    }),
    settings.INSTANCE_ID,
  );
  try {
    if (migrateOnStart(settings)) {
      const t0 = performance.now();
      const events = await bus.install();
      const t1 = performance.now();
      const app = await applyMigrations(db, { migrations: { dir: migrationsDir } });
      logger.info(
        {
          applied: [...events.applied, ...app.applied],
          ms: { events: Math.round(t1 - t0), app: Math.round(performance.now() - t1) },
        },
        'migrations up to date',
      );
    }
    await bus.start();
  } catch (error) {
    await bus.stop().catch(() => {});
    await db.close();
    throw error;
  }
  return {
    db,
    bus,
    async close() {
      await bus.stop();
      await db.close();
    },
  };
}
