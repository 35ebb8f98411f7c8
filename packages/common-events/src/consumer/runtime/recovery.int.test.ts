import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { installEventStore } from '../../install.js';
import { publishOrders, waitFor } from '../../test-support/consumer-harness.js';
import {
  spawnWorker,
  stopWorkers,
  type WorkerProcess,
} from '../../test-support/consumer-processes.js';
import { type Consumer, subscribe } from '../subscribe.js';

// Recovery after a crash: a restarted member takes its own leases back at once, a dead
// member's partitions move to a live one after its heartbeat expires, and a transactional
// handler's effect is committed exactly once across either takeover. Leases are far longer
// than the tests, so only these two paths can move a partition in time.
const schema = 'recovery_test';
const LONG = 120_000;

describe.runIf(testEngines().includes('postgres'))('consumer recovery after a crash', () => {
  let t: TestDatabase;
  let db: Database<unknown>;
  let workers: WorkerProcess[] = [];
  const consumers: Consumer[] = [];

  const worker = (config: Record<string, unknown>): WorkerProcess => {
    const w = spawnWorker({
      url: t.url,
      schema,
      mode: 'transactional',
      behaviour: 'historyTx',
      slowRate: 0,
      startFrom: 'beginning',
      leaseMs: LONG,
      pollIntervalMs: 20,
      ...config,
    });
    workers.push(w);
    return w;
  };
  const registered = (w: WorkerProcess) =>
    waitFor(
      async () =>
        (await db.sql`select 1 from recovery_test.workers where pid = ${w.pid}`).length === 1,
      20_000,
      `worker ${w.pid} joined ${w.stderr()}`,
    );
  /** Committed handler runs per event of keys starting with `prefix`. */
  const runs = (prefix: string) =>
    db.sql<{ key: string; n: number; runs: number }>`
      select key, n, count(*)::int as runs from recovery_test.history
       where key like ${`${prefix}%`} and stage = 'handled' group by key, n order by key, n`;
  const owners = async (group: string) =>
    (
      await db.sql<{ lease_owner: string | null; lease_epoch: string }>`
        select lease_owner, lease_epoch::text from recovery_test.consumer_positions
         where group_name = ${group} order by partition`
    ).map((r) => `${r.lease_owner}@${r.lease_epoch}`);

  beforeAll(async () => {
    t = await createTestDatabase({ engine: 'postgres' });
    db = t.db;
    await installEventStore(db, { schema });
    await db.query(`create table recovery_test.history (id bigserial primary key, pid int, key text,
      n int, event_id uuid, attempt int, stage text)`);
    await db.query('create table recovery_test.workers (pid int primary key)');
  });
  afterEach(async () => {
    await stopWorkers(workers, 'SIGKILL');
    workers = [];
  });
  afterAll(async () => {
    for (const c of consumers) await c.stop();
    await t?.drop();
  });

  it('a process restarted with the same memberId takes its leases back at once and delivers', async () => {
    const base = { group: 'r1', memberId: 'orders-0', partitions: 4, memberTimeoutMs: LONG };
    const a = worker(base);
    await registered(a);
    await publishOrders(
      db,
      schema,
      [1, 2, 3, 4].map((n) => ({ key: `ra${n}`, n })),
    );
    await waitFor(async () => (await runs('ra')).length === 4, 20_000, 'first events');
    const before = await owners('r1');
    a.child.kill('SIGKILL');
    await a.exited;

    const b = worker(base);
    await registered(b);
    const restartedAt = Date.now();
    await publishOrders(
      db,
      schema,
      [1, 2, 3, 4].map((n) => ({ key: `rb${n}`, n })),
    );
    await waitFor(
      async () => (await runs('rb')).length === 4,
      20_000,
      `after restart ${b.stderr()}`,
    );
    // Without the take-back the partitions would wait for the 120 s lease (or member timeout).
    expect(Date.now() - restartedAt).toBeLessThan(10_000);
    const after = await owners('r1');
    expect(after.every((o) => o.startsWith('orders-0@'))).toBe(true);
    // Every lease was claimed again with a new epoch: the old process is fenced out.
    const epoch = (o: string) => Number(o.split('@')[1]);
    expect(after.map(epoch)).toEqual(before.map((o) => epoch(o) + 1));
    expect((await runs('r')).every((r) => r.runs === 1)).toBe(true);
  });

  it('the old process of a member that was taken over fails its next compare-and-set', async () => {
    const effects: string[] = [];
    const options = {
      schema,
      group: 'r2',
      channel: 'orders',
      memberId: 'orders-1',
      startFrom: 'now' as const,
      leaseMs: LONG,
      memberTimeoutMs: LONG,
      pollIntervalMs: 20,
      listen: false,
    };
    const old = subscribe(db, {
      ...options,
      mode: 'transactional',
      handler: async (e, { tx }) => {
        await tx.query(
          'insert into recovery_test.history (pid, key, n, stage) values (1, $1, 0, $2)',
          [e.key, 'old'],
        );
        effects.push(`old:${e.key}`);
      },
    });
    consumers.push(old);
    await old.start();
    expect(old.stats().partitions.map((p) => p.epoch)).toEqual([1]);
    // A second process of the same member: it takes the lease with epoch 2.
    const next = subscribe(db, {
      ...options,
      mode: 'transactional',
      handler: async (e, { tx }) => {
        await tx.query(
          'insert into recovery_test.history (pid, key, n, stage) values (2, $1, 0, $2)',
          [e.key, 'next'],
        );
        effects.push(`next:${e.key}`);
      },
    });
    consumers.push(next);
    await next.start();
    expect(next.stats().partitions.map((p) => p.epoch)).toEqual([2]);
    await publishOrders(db, schema, [{ key: 'r2x', n: 1 }]);
    await waitFor(() => effects.includes('next:r2x'), 10_000, 'delivery by the new process');
    await waitFor(() => old.stats().partitions.length === 0, 10_000, 'the old process drops it');
    // The old process's batch transaction was fenced before its handler ran: one effect.
    const committed = await db.sql<{ stage: string }>`
      select stage from recovery_test.history where key = 'r2x'`;
    expect(committed.map((r) => r.stage)).toEqual(['next']);
    expect(effects.filter((e) => e.startsWith('old:'))).toEqual([]);
    // And it does not take the lease back: no ping-pong between the two.
    await new Promise((r) => setTimeout(r, 300));
    expect(old.stats().partitions).toEqual([]);
    expect(next.stats().partitions.map((p) => p.epoch)).toEqual([2]);
    await Promise.all([old.stop(), next.stop()]);
  });

  it('two members, one killed mid-stream: the survivor takes its partitions within 5 s, each effect committed once', async () => {
    const base = { group: 'r3', partitions: 4, heartbeatMs: 200, memberTimeoutMs: 1_000 };
    const a = worker({ ...base, memberId: 'r3-a' });
    await registered(a);
    const b = worker({ ...base, memberId: 'r3-b' });
    await registered(b);
    await waitFor(
      async () => {
        const o = await owners('r3');
        return o.some((x) => x.startsWith('r3-a@')) && o.some((x) => x.startsWith('r3-b@'));
      },
      20_000,
      'both members hold partitions',
    );
    // A stream of events across the kill: some in flight when `a` dies.
    let n = 0;
    let streaming = true;
    const stream = (async () => {
      while (streaming) {
        n++;
        await publishOrders(
          db,
          schema,
          [1, 2, 3, 4].map((k) => ({ key: `rs${k}`, n })),
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await a.exited;
    await waitFor(
      async () => (await owners('r3')).every((o) => o.startsWith('r3-b@')),
      20_000,
      `survivor holds every partition ${b.stderr()}`,
    );
    const takeoverMs = Date.now() - killedAt;
    streaming = false;
    await stream;
    const total = n * 4;
    await waitFor(
      async () => (await runs('rs')).length === total,
      20_000,
      `every event handled ${b.stderr()}`,
    );
    expect(takeoverMs).toBeLessThan(5_000);
    const counts = await runs('rs');
    expect(counts.filter((r) => r.runs !== 1)).toEqual([]);
  });

  it("after an outage that stopped every heartbeat, no member takes the others' partitions", async () => {
    const options = {
      schema,
      group: 'r4',
      channel: 'orders',
      partitions: 4,
      startFrom: 'now' as const,
      leaseMs: LONG,
      heartbeatMs: 100,
      memberTimeoutMs: 400,
      pollIntervalMs: 20,
      handler: () => {},
    };
    const a = subscribe(db, { ...options, memberId: 'r4-a' });
    const b = subscribe(db, { ...options, memberId: 'r4-b' });
    consumers.push(a, b);
    await a.start();
    await b.start();
    await waitFor(
      () => a.stats().partitions.length === 2 && b.stats().partitions.length === 2,
      10_000,
      'an even share',
    );
    const before = await owners('r4');
    // Every heartbeat fails for longer than memberTimeoutMs, as in a database restart.
    await db.query('alter table recovery_test.consumer_members rename to consumer_members_away');
    await new Promise((r) => setTimeout(r, 1_000));
    await db.query('alter table recovery_test.consumer_members_away rename to consumer_members');
    await new Promise((r) => setTimeout(r, 1_500));
    // Each member was cut off too, so it judged nobody dead: no lease moved.
    expect(await owners('r4')).toEqual(before);
    await Promise.all([a.stop(), b.stop()]);
  });
});
