import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installEventStore } from '../install.js';
import { publishOrders, waitFor } from '../test-support/consumer-harness.js';
import {
  spawnWorker,
  stopWorkers,
  type WorkerProcess,
} from '../test-support/consumer-processes.js';
import { checkHistory } from './history-check.js';

const schema = 'jepsen';
const KEYS = 100;
const VALUES = 100;
const WORKERS = 4;
const KILLS = 6;

// Research test 7 / issue acceptance: 10,000 events over 100 keys, 4 worker processes with
// random handler latency and random kill -9; per key strictly ordered, nothing missing,
// duplicates only where the first deliverer was killed.
describe.runIf(testEngines().includes('postgres'))('history check under random kills', () => {
  let t: TestDatabase;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    t = await createTestDatabase({ engine: 'postgres' });
    await installEventStore(t.db, { schema });
    await t.db.query(`create table jepsen.history (id bigserial primary key, pid int, key text, n int,
      event_id uuid, attempt int, stage text)`);
    await t.db.query('create table jepsen.workers (pid int primary key)');
  });
  afterAll(async () => {
    await stopWorkers(workers, 'SIGKILL');
    await t?.drop();
  });

  it('delivers 10,000 events per key in order through crashes', { timeout: 120_000 }, async () => {
    const db = t.db;
    const config = {
      url: t.url,
      schema,
      group: 'jepsen',
      behaviour: 'history',
      startFrom: 'beginning',
      partitions: 8,
      batchSize: 50,
      leaseMs: 1_000,
      pollIntervalMs: 50,
      slowRate: 0.05,
      slowMs: 8,
    };
    const live = new Set<WorkerProcess>();
    const spawn = (): void => {
      const w = spawnWorker(config);
      workers.push(w);
      live.add(w);
      void w.exited.then(() => live.delete(w));
    };
    for (let i = 0; i < WORKERS; i++) spawn();

    const delivered = async () =>
      (
        await db.sql<{ n: number }>`select count(distinct (key, n))::int as n from jepsen.history`
      )[0]?.n ?? 0;
    const publisher = (async () => {
      for (let n = 1; n <= VALUES; n++) {
        // Four concurrent publishers per round, each owning a quarter of the keys.
        await Promise.all(
          [0, 1, 2, 3].map((q) =>
            publishOrders(
              db,
              schema,
              Array.from({ length: KEYS / 4 }, (_, i) => ({ key: `k${q * (KEYS / 4) + i}`, n })),
            ),
          ),
        );
        await new Promise((r) => setTimeout(r, Math.random() * 10));
      }
    })();
    const killed = new Set<number>();
    const killer = (async () => {
      while (killed.size < KILLS) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 500));
        const victims = [...live];
        const victim = victims[Math.floor(Math.random() * victims.length)];
        if (victim === undefined) continue;
        killed.add(victim.pid);
        victim.child.kill('SIGKILL');
        await victim.exited;
        spawn();
      }
    })();
    await Promise.all([publisher, killer]);
    await waitFor(
      async () => (await delivered()) === KEYS * VALUES,
      90_000,
      'every event delivered',
    );
    await stopWorkers([...live]);

    const rows = await db.sql<{ key: string; n: number; pid: number }>`
      select key, n, pid from jepsen.history where stage = 'handled' order by id`;
    const published = new Map(Array.from({ length: KEYS }, (_, i) => [`k${i}`, VALUES] as const));
    const report = checkHistory(
      rows.map((r) => ({ key: r.key, n: r.n, worker: r.pid })),
      published,
      killed,
    );
    expect({ ...report, duplicates: 0 }).toEqual({
      ok: true,
      missing: [],
      outOfOrder: [],
      unexplainedDuplicates: [],
      duplicates: 0,
    });
    expect(killed.size).toBe(KILLS);
    expect(rows.length).toBe(KEYS * VALUES + report.duplicates);
  });
});
