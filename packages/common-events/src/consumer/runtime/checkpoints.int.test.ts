import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../envelope.js';
import { installEventStore } from '../../install.js';
import { label, publishOrders, waitFor } from '../../test-support/consumer-harness.js';
import { holdTransaction } from '../../test-support/held-transaction.js';
import { subscribe } from '../subscribe.js';

// Kills a real backend mid-commit: PostgreSQL only.
const schema = 'ckpt_test';
const LEASE_MS = 10_000;

describe.runIf(testEngines().includes('postgres'))('plain position commits', () => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase({ engine: 'postgres' });
    await installEventStore(t.db, { schema });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('a position commit killed while it waits on a row lock keeps the lease and delivery goes on from the durable position', async () => {
    const { db } = t;
    const seen: string[] = [];
    const consumer = subscribe(db, {
      schema,
      group: 'g',
      channel: 'orders',
      startFrom: 'now',
      partitions: 1,
      leaseMs: LEASE_MS,
      pollIntervalMs: 20,
      handler: (e: StoredEvent) => void seen.push(label(e)),
    });
    await consumer.start();
    try {
      await publishOrders(
        db,
        schema,
        [1, 2, 3].map((n) => ({ key: 'a', n })),
      );
      await waitFor(() => seen.length === 3);
      const epoch = consumer.stats().partitions[0]?.epoch;

      // Hold the position row so the next commit waits on its lock, then kill that commit.
      const held = await holdTransaction(db);
      await held.tx.query(
        `select 1 from ${schema}.consumer_positions where group_name = 'g' for update`,
      );
      await publishOrders(
        db,
        schema,
        [4, 5, 6].map((n) => ({ key: 'a', n })),
      );
      await waitFor(
        async () => {
          const { rows } = await db.query<{ pid: number }>(
            `select pid from pg_stat_activity
            where wait_event_type = 'Lock' and query like 'with moved as (update "${schema}".consumer_positions%'`,
          );
          return rows.length === 1;
        },
        5_000,
        'the position commit waiting on the row lock',
      );
      const killed = await db.query<{ ok: boolean }>(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity
          where wait_event_type = 'Lock' and query like 'with moved as (update "${schema}".consumer_positions%'`,
      );
      expect(killed.rows.map((r) => r.ok)).toEqual([true]);
      await held.rollback();
      const killedAt = Date.now();

      // Two more batches: the first commits from the durable position, the second only if
      // the first one's compare-and-set found the position where this member believed it.
      await publishOrders(db, schema, [{ key: 'a', n: 7 }]);
      await waitFor(() => seen.includes('a:7'), LEASE_MS);
      await publishOrders(db, schema, [{ key: 'a', n: 8 }]);
      await waitFor(() => seen.includes('a:8'), LEASE_MS);
      // Well inside one lease: the partition was never dropped and waited out.
      expect(Date.now() - killedAt).toBeLessThan(LEASE_MS / 2);
      expect(consumer.stats().partitions.map((p) => p.epoch)).toEqual([epoch]);

      // At least once and in order: the uncommitted batch may come again, nothing skips.
      const firsts = seen.filter((s, i) => seen.indexOf(s) === i);
      expect(firsts).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `a:${n}`));
      for (let i = 1; i < seen.length; i++) {
        const [prev, next] = [Number(seen[i - 1]?.slice(2)), Number(seen[i]?.slice(2))];
        if (next < prev) expect(seen.slice(i, i + 3)).toEqual(['a:4', 'a:5', 'a:6']);
      }
    } finally {
      await consumer.stop();
    }
  });
});
