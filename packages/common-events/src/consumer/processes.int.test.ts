import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../envelope.js';
import { installEventStore } from '../install.js';
import { publishEvent } from '../publish/publish-event.js';
import { OrderPlaced, testCatalog } from '../test-support/catalog.js';
import { label, publishOrders, waitFor } from '../test-support/consumer-harness.js';
import {
  spawnWorker,
  stopWorkers,
  type WorkerProcess,
} from '../test-support/consumer-processes.js';
import { holdTransaction } from '../test-support/held-transaction.js';
import { tickSql } from '../ticker/ticker.js';
import { listDeadLetters } from './admin.js';
import { getConsumerStatus } from './status.js';
import { type Consumer, subscribe } from './subscribe.js';

// Tests that need real sessions and real processes: PostgreSQL only.
const schema = 'proc_test';

describe.runIf(testEngines().includes('postgres'))(
  'consumer groups across sessions and processes',
  () => {
    let t: TestDatabase;
    let db: Database<unknown>;
    const consumers: Consumer[] = [];
    let workers: WorkerProcess[] = [];

    const history = (prefix: string) =>
      db.sql<{
        pid: number;
        key: string;
        n: number;
        event_id: string;
        attempt: number;
        stage: string;
      }>`
      select pid, key, n, event_id::text as event_id, attempt, stage from proc_test.history
       where key like ${`${prefix}%`} order by id`;
    const attemptRows = async (group: string) =>
      db.sql<{ attempts: number; finished: number }>`
        select attempts, finished from proc_test.consumer_attempts where group_name = ${group}`;
    const worker = (config: Record<string, unknown>): WorkerProcess => {
      const w = spawnWorker({ url: t.url, schema, ...config });
      workers.push(w);
      return w;
    };
    /** Resolves once the worker process has joined (its row is in proc_test.workers). */
    const registered = (w: WorkerProcess) =>
      waitFor(
        async () =>
          (await db.sql`select 1 from proc_test.workers where pid = ${w.pid}`).length === 1,
      );
    const collect = async (group: string, extra: Record<string, unknown> = {}) => {
      const seen: string[] = [];
      const c = subscribe(db, {
        schema,
        group,
        channel: 'orders',
        startFrom: 'now',
        pollIntervalMs: 20,
        handler: (e: StoredEvent) => void seen.push(label(e)),
        ...extra,
      });
      consumers.push(c);
      await c.start();
      return seen;
    };

    beforeAll(async () => {
      t = await createTestDatabase({ engine: 'postgres' });
      db = t.db;
      await installEventStore(db, { schema });
      await db.query(`create table proc_test.history (id bigserial primary key, pid int, key text, n int,
      event_id uuid, attempt int, stage text)`);
      // No key: a second committed insert of one event must show, not fail or hide.
      await db.query('create table proc_test.effects (event_id uuid, pid int)');
      await db.query('create table proc_test.workers (pid int primary key)');
    });
    afterEach(async () => {
      await stopWorkers(workers, 'SIGKILL');
      workers = [];
    });
    afterAll(async () => {
      for (const c of consumers) await c.stop();
      await t?.drop();
    });

    it('an event committed after a later one is delivered, never skipped', async () => {
      const seen = await collect('t1');
      const a = await holdTransaction(db);
      await publishEvent(a.tx, OrderPlaced.create({ orderId: 'x1', total: 1 }, { key: 'x1' }), {
        schema,
        catalog: testCatalog,
      });
      await publishOrders(db, schema, [{ key: 'x2', n: 1 }]);
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual(['x2:1']);
      await a.commit();
      await db.query(tickSql(schema));
      await waitFor(() => seen.length === 2);
      expect(seen).toEqual(['x2:1', 'x1:1']);
    });

    it('same key, the later committer holds the lower xid and a third transaction pins xmin: commit order', async () => {
      const seen = await collect('t2');
      const a = await holdTransaction(db);
      await a.tx.query('select pg_current_xact_id()');
      const c = await holdTransaction(db);
      await c.tx.query('select pg_current_xact_id()');
      const b = await holdTransaction(db);
      await publishEvent(b.tx, OrderPlaced.create({ orderId: 'k', total: 1 }, { key: 'k' }), {
        schema,
        lockKeys: true,
      });
      await b.commit();
      await publishEvent(a.tx, OrderPlaced.create({ orderId: 'k', total: 2 }, { key: 'k' }), {
        schema,
        lockKeys: true,
      });
      await a.commit();
      await db.query(tickSql(schema));
      await waitFor(() => seen.length === 2);
      expect(seen).toEqual(['k:1', 'k:2']);
      await c.rollback();
    });

    it('a long write transaction loses nothing, is reported with its pid, and delivery resumes after it', async () => {
      const seen = await collect('t4');
      const long = await holdTransaction(db);
      const [{ pid }] = (await long.tx.sql<{ pid: number }>`select pg_backend_pid() as pid`) as [
        { pid: number },
      ];
      await publishEvent(
        long.tx,
        OrderPlaced.create({ orderId: 'long', total: 1 }, { key: 'long' }),
        { schema },
      );
      await publishOrders(db, schema, [{ key: 'short', n: 1 }]);
      await waitFor(() => seen.length === 1);
      const status = await getConsumerStatus(db, { schema, group: 't4' });
      expect(status.oldestTransactions[0]?.pid).toBe(pid);
      expect(status.oldestTransactions[0]?.ageSeconds).toBeGreaterThan(0);
      await long.commit();
      await db.query(tickSql(schema));
      await waitFor(() => seen.length === 2);
      expect(seen).toEqual(['short:1', 'long:1']);
    });

    it('after pg_terminate_backend of the listener, the consumer re-polls at once on reconnect', async () => {
      // A poll interval far beyond the test: only wake-ups can deliver.
      const seen = await collect('t8', { pollIntervalMs: 600_000 });
      await publishOrders(db, schema, [{ key: 'l', n: 1 }]);
      await waitFor(() => seen.length === 1);
      await db.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
        where application_name = 'vsa:listen' and datname = current_database()`,
      );
      // Published while the listener is down: its NOTIFY is lost.
      await publishOrders(db, schema, [{ key: 'l', n: 2 }]);
      await waitFor(() => seen.length === 2);
      expect(seen).toEqual(['l:1', 'l:2']);
    });

    it('kill -9 after the handler wrote: write and position roll back, one redelivery, same idempotency key', async () => {
      const base = {
        group: 't5',
        behaviour: 'effects',
        mode: 'transactional',
        crashOn: 'e:2',
        leaseMs: 800,
      };
      const a = worker({ ...base, crash: true });
      await registered(a);
      await publishOrders(
        db,
        schema,
        [1, 2, 3].map((n) => ({ key: 'e', n })),
      );
      expect(await a.exited).toBe('SIGKILL');
      expect((await db.sql`select 1 from proc_test.effects`).length).toBe(0);
      const b = worker({ ...base, crash: false });
      await waitFor(
        async () => (await db.sql`select 1 from proc_test.effects`).length === 3,
        20_000,
        `effects ${b.stderr()}`,
      );
      const h = await history('e');
      const second = h.filter((r) => r.n === 2);
      expect(second.map((r) => r.pid)).toEqual([a.pid, b.pid]);
      expect(second[0]?.event_id).toBe(second[1]?.event_id);
      const status = await getConsumerStatus(db, { schema, group: 't5' });
      expect(status.groups[0]?.lagEvents).toBe(0);
      // Handler runs per event, counted apart from the effects: the killed batch (e:1, e:2) ran
      // once in each process, e:3 once; every run was a first attempt.
      const runs = (n: number) =>
        h.filter((r) => r.n === n).map((r) => `${r.pid === a.pid ? 'a' : 'b'}#${r.attempt}`);
      expect([runs(1), runs(2), runs(3)]).toEqual([['a#1', 'b#1'], ['a#1', 'b#1'], ['b#1']]);
      // Exactly one committed effect per event, all from the second process.
      const effects = await db.sql<{ event_id: string; pid: number }>`
        select event_id::text, pid from proc_test.effects order by event_id`;
      expect(effects.map((r) => r.pid)).toEqual([b.pid, b.pid, b.pid]);
      expect(new Set(effects.map((r) => r.event_id)).size).toBe(3);
      expect(await listDeadLetters(db, { schema, group: 't5' })).toEqual([]);
      expect(await attemptRows('t5')).toEqual([]);
    });

    it('kill -9 of a member: a live one takes its partitions at once (its session ended), one effect per event', async () => {
      // Heartbeat timeout and lease far beyond the test: only the ended server session of the
      // killed process can tell the survivor that it died.
      const base = {
        group: 't5s',
        behaviour: 'effects',
        mode: 'transactional',
        crashOn: 'd:2',
        leaseMs: 120_000,
        heartbeatMs: 200,
        memberTimeoutMs: 120_000,
      };
      const a = worker({ ...base, crash: true });
      await registered(a);
      const b = worker({ ...base, crash: false });
      await registered(b);
      const owners = async () =>
        (
          await db.sql<{ lease_owner: string | null }>`
          select lease_owner from proc_test.consumer_positions where group_name = 't5s' order by partition`
        ).map((r) => r.lease_owner);
      // One partition, held by the first member; the second waits beside it.
      await waitFor(async () => (await owners())[0]?.includes(`:${a.pid}:`) === true);
      await publishOrders(
        db,
        schema,
        [1, 2, 3].map((n) => ({ key: 'd', n })),
      );
      expect(await a.exited).toBe('SIGKILL');
      await waitFor(
        async () =>
          (await db.sql`select 1 from proc_test.effects where pid in (${a.pid}, ${b.pid})`)
            .length === 3,
        20_000,
        `effects ${b.stderr()}`,
      );
      expect((await owners()).every((x) => x?.includes(`:${b.pid}:`))).toBe(true);
      // Exactly one committed effect per event, all from the survivor.
      const effects = await db.sql<{ event_id: string; pid: number }>`
        select event_id::text, pid from proc_test.effects where pid in (${a.pid}, ${b.pid})`;
      expect(effects.map((r) => r.pid)).toEqual([b.pid, b.pid, b.pid]);
      expect(new Set(effects.map((r) => r.event_id)).size).toBe(3);
      expect(await listDeadLetters(db, { schema, group: 't5s' })).toEqual([]);
    });

    it('SIGTERM mid-batch: the batch finishes, leases are released, the rest starts at attempt 1', async () => {
      // A lease far beyond the test: the second process can only start if the first released.
      const base = {
        group: 'tg',
        behaviour: 'pause',
        handlerMs: 500,
        batchSize: 2,
        leaseMs: 60_000,
      };
      const a = worker(base);
      await registered(a);
      await publishOrders(
        db,
        schema,
        [1, 2, 3, 4].map((n) => ({ key: 'g', n })),
      );
      await waitFor(async () => (await history('g')).some((r) => r.stage === 'started'));
      a.child.kill('SIGTERM');
      expect(await a.exited).toBe('0');
      const b = worker(base);
      await waitFor(
        async () => (await history('g')).filter((r) => r.stage === 'handled').length === 4,
        20_000,
        `every event handled ${b.stderr()}`,
      );
      const handled = (await history('g')).filter((r) => r.stage === 'handled');
      expect(handled.map((r) => `${r.n}:${r.pid === a.pid ? 'a' : 'b'}#${r.attempt}`)).toEqual([
        '1:a#1',
        '2:a#1',
        '3:b#1',
        '4:b#1',
      ]);
      expect(await attemptRows('tg')).toEqual([]);
      expect(await listDeadLetters(db, { schema, group: 'tg' })).toEqual([]);
    });

    it('SIGTERM during a backoff: the retry in the next process is attempt 2, not 3', async () => {
      const base = {
        group: 'tb',
        behaviour: 'failOnce',
        crashOn: 'f:1',
        leaseMs: 60_000,
        backoff: { initialMs: 3_000, maxMs: 3_000, jitter: 0 },
      };
      const a = worker(base);
      await registered(a);
      await publishOrders(
        db,
        schema,
        [1, 2].map((n) => ({ key: 'f', n })),
      );
      await waitFor(async () => (await attemptRows('tb')).length === 1);
      a.child.kill('SIGTERM');
      expect(await a.exited).toBe('0');
      expect(await attemptRows('tb')).toEqual([{ attempts: 1, finished: 1 }]);
      const b = worker(base);
      await waitFor(
        async () => (await history('f')).filter((r) => r.stage === 'handled').length === 2,
        20_000,
        `both events handled ${b.stderr()}`,
      );
      const h = await history('f');
      expect(h.map((r) => `${r.stage} ${r.n}:${r.pid === a.pid ? 'a' : 'b'}#${r.attempt}`)).toEqual(
        ['started 1:a#1', 'started 1:b#2', 'handled 1:b#2', 'started 2:b#1', 'handled 2:b#1'],
      );
      await waitFor(async () => (await attemptRows('tb')).length === 0);
      expect(await listDeadLetters(db, { schema, group: 'tb' })).toEqual([]);
    });

    it('a paused worker loses its lease; its late position write is rejected; the position never goes back', async () => {
      const base = { group: 't6', behaviour: 'pause', leaseMs: 600 };
      const a = worker({ ...base, handlerMs: 500 });
      await registered(a);
      await publishOrders(db, schema, [{ key: 'z', n: 1 }]);
      await waitFor(async () =>
        (await history('z')).some((r) => r.pid === a.pid && r.stage === 'started'),
      );
      a.child.kill('SIGSTOP');
      const b = worker({ ...base, handlerMs: 0 });
      await waitFor(
        async () => (await history('z')).some((r) => r.pid === b.pid && r.stage === 'handled'),
        20_000,
        b.stderr(),
      );
      await publishOrders(db, schema, [{ key: 'z', n: 2 }]);
      await waitFor(async () =>
        (await history('z')).some((r) => r.pid === b.pid && r.n === 2 && r.stage === 'handled'),
      );
      const position = async () =>
        (
          await db.sql<{ tick_id: string; seq: string; lease_owner: string }>`
          select tick_id::text, seq::text, lease_owner from proc_test.consumer_positions where group_name = 't6'`
        )[0] as { tick_id: string; seq: string; lease_owner: string };
      await waitFor(
        async () =>
          (await getConsumerStatus(db, { schema, group: 't6' })).groups[0]?.lagEvents === 0,
      );
      const taken = await position();
      expect(taken.lease_owner).toContain(`:${b.pid}:`);
      a.child.kill('SIGCONT');
      await waitFor(async () =>
        (await history('z')).some((r) => r.pid === a.pid && r.stage === 'handled'),
      );
      await new Promise((r) => setTimeout(r, 300));
      const after = await position();
      expect(after.lease_owner).toContain(`:${b.pid}:`);
      const before = BigInt(taken.tick_id) * 2n ** 40n + BigInt(taken.seq);
      const now = BigInt(after.tick_id) * 2n ** 40n + BigInt(after.seq);
      expect(now >= before).toBe(true);
      expect((await getConsumerStatus(db, { schema, group: 't6' })).groups[0]?.lagEvents).toBe(0);
    });

    it('crashes: a handler that kills its process is counted by started/finished and dead-lettered', async () => {
      const base = {
        group: 't9',
        behaviour: 'crash',
        crashOn: 'c:2',
        maxAttempts: 2,
        leaseMs: 400,
      };
      let deaths = 0;
      for (let i = 0; i < 6; i++) {
        const w = worker(base);
        if (i === 0) {
          await registered(w);
          await publishOrders(
            db,
            schema,
            [1, 2, 3].map((n) => ({ key: 'c', n })),
          );
        }
        const outcome = await Promise.race([
          w.exited,
          waitFor(async () => (await history('c')).some((r) => r.n === 3), 30_000).then(
            () => 'done',
          ),
        ]);
        if (outcome === 'done') break;
        deaths++;
      }
      // First crash in a fast batch, then `maxAttempts` counted starts, then the dead letter.
      expect(deaths).toBe(3);
      const letters = await listDeadLetters(db, { schema, group: 't9' });
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({
        attempts: 2,
        error: { code: 'VSA_EVENTS_HANDLER_CRASHED' },
      });
      const started = (await history('c')).filter((r) => r.n === 2).map((r) => r.attempt);
      expect(started).toEqual([1, 1, 2]);
    });
  },
);
