import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, type TestEngine } from '@vsa/common-db/testing';
import type { StoredEvent } from '../envelope.js';
import { installEventStore } from '../install.js';
import { publishEvent } from '../publish/publish-event.js';
import { tickSql } from '../ticker/ticker.js';
import { OrderPlaced, testCatalog } from './catalog.js';

/** A fresh database with the bus installed in `schema`. */
export async function consumerTestDatabase(
  engine: TestEngine,
  schema: string,
): Promise<TestDatabase> {
  const t = await createTestDatabase({ engine });
  await installEventStore(t.db, { schema });
  return t;
}

/** Publishes OrderPlaced events (auto-commit), one per key/n pair, and takes a tick. */
export async function publishOrders(
  db: Database<unknown>,
  schema: string,
  items: readonly { key: string; n: number }[],
): Promise<void> {
  await publishEvent(
    db,
    items.map((it) => OrderPlaced.create({ orderId: it.key, total: it.n }, { key: it.key })),
    { schema, catalog: testCatalog },
  );
  await db.query(tickSql(schema));
}

/** Short poll, lease and backoff so consumer tests run in milliseconds, not seconds. */
export const FAST_CONSUMER = {
  pollIntervalMs: 20,
  leaseMs: 2_000,
  backoff: { initialMs: 5, maxMs: 20 },
} as const;

/** Resolves when `predicate` holds, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `key:total` of an OrderPlaced event. */
export function label(event: StoredEvent): string {
  const p = event.payload as { orderId: string; total: number };
  return `${p.orderId}:${p.total}`;
}
