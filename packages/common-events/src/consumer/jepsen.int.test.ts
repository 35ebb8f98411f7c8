import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { installEventStore } from '../install.js';
import { publishOrders, waitFor } from '../test-support/consumer-harness.js';
import {
  spawnWorker,
  stopWorkers,
  type WorkerProcess,
} from '../test-support/consumer-processes.js';
import { checkHistory, type HistoryEntry, type HistoryReport } from './history-check.js';

const schema = 'jepsen';
const KEYS = 100;
const VALUES = 100;
const WORKERS = 4;
const KILLS = 6;
const PARTITIONS = 8;

interface Position {
  readonly tick: number;
  readonly seq: number;
}
const atOrBefore = (a: Position, b: Position): boolean =>
  a.tick < b.tick || (a.tick === b.tick && a.seq <= b.seq);

/** A fresh database with the bus, the history table, the worker fence and the ack trigger. */
async function historyDatabase(): Promise<TestDatabase> {
  const t = await createTestDatabase({ engine: 'postgres' });
  await installEventStore(t.db, { schema });
  await t.db.query(`create table jepsen.history (id bigserial primary key, pid int, key text, n int,
    event_id uuid, attempt int, stage text, part int, tick bigint, seq bigint)`);
  await t.db.query('create table jepsen.workers (pid int primary key)');
  await t.db.query('create table jepsen.fence (pid int, part int, primary key (pid, part))');
  // Every position commit lands in the history, in the transaction that commits it.
  await t.db.query(`create function jepsen.record_ack() returns trigger language plpgsql as $$
    begin
      if (new.tick_id, new.seq) is distinct from (old.tick_id, old.seq) then
        insert into jepsen.history (stage, part, tick, seq)
        values ('ack', new.partition, new.tick_id, new.seq);
      end if;
      return null;
    end $$`);
  await t.db.query(`create trigger record_ack after update on jepsen.consumer_positions
    for each row execute function jepsen.record_ack()`);
  return t;
}

/**
 * The recorded history as {@link checkHistory} entries: deliveries, kills, and each partition
 * position commit turned into "acknowledged up to n" per key of that partition (a key lives in
 * one partition; its values are in position order).
 */
async function readHistory(db: Database<unknown>): Promise<HistoryEntry[]> {
  const { rows: events } = await db.query<{
    key: string;
    n: number;
    part: number;
    tick: string;
    seq: string;
  }>(
    `select e.key, (e.payload->>'total')::int as n, e.key_hash % ${PARTITIONS} as part,
            t.tick_id::text as tick, e.seq::text as seq
       from jepsen.events e join jepsen.ticks t
         on e.seq between t.min_seq and t.max_seq
        and pg_visible_in_snapshot(e.tx_id, t.snapshot)
        and not pg_visible_in_snapshot(e.tx_id, t.prev_snapshot)
      where e.channel = 'orders'`,
  );
  expect(events).toHaveLength(KEYS * VALUES);
  const byKey = new Map<string, (Position & { n: number })[]>();
  const keysOf = new Map<number, string[]>();
  for (const e of events) {
    let list = byKey.get(e.key);
    if (list === undefined) {
      list = [];
      byKey.set(e.key, list);
      keysOf.set(e.part, [...(keysOf.get(e.part) ?? []), e.key]);
    }
    list.push({ tick: Number(e.tick), seq: Number(e.seq), n: e.n });
  }
  for (const list of byKey.values()) {
    list.sort((a, b) => (atOrBefore(a, b) ? -1 : 1));
    // Published one value per key per round: position order is value order.
    expect(list.map((p) => p.n)).toEqual(Array.from({ length: VALUES }, (_, i) => i + 1));
  }
  /** Values of `key` at or before `to`: the highest acknowledged one. */
  const ackedUpTo = (key: string, to: Position): number => {
    const list = byKey.get(key) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (atOrBefore(list[mid] as Position, to)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const { rows } = await db.query<{
    pid: number | null;
    key: string | null;
    n: number | null;
    stage: string;
    part: number | null;
    tick: string | null;
    seq: string | null;
  }>('select pid, key, n, stage, part, tick::text, seq::text from jepsen.history order by id');
  const history: HistoryEntry[] = [];
  const acked = new Map<string, number>();
  for (const r of rows) {
    if (r.stage === 'handled') {
      history.push({ key: r.key as string, n: r.n as number, worker: r.pid as number });
    } else if (r.stage === 'killed') {
      history.push({ type: 'kill', worker: r.pid as number });
    } else if (r.stage === 'ack') {
      const to = { tick: Number(r.tick), seq: Number(r.seq) };
      for (const key of keysOf.get(r.part as number) ?? []) {
        const n = ackedUpTo(key, to);
        if (n !== (acked.get(key) ?? 0)) {
          acked.set(key, n);
          history.push({ type: 'ack', key, n });
        }
      }
    }
  }
  return history;
}

/** The report without its counters, lists cut to their first entries (readable failures). */
function verdict(report: HistoryReport): Record<string, unknown> {
  const { duplicates: _d, replays: _r, ...rest } = report;
  return Object.fromEntries(
    Object.entries(rest).map(([k, v]) => [k, Array.isArray(v) ? v.slice(0, 10) : v]),
  );
}

// 10,000 events over 100 keys, 4 worker processes with
// random handler latency and random kill -9. Per key strictly ordered, nothing missing; a value
// is delivered again only after the process that delivered it was killed, a replay restarts at
// or before the first unacknowledged value and goes on one value at a time.
describe.runIf(testEngines().includes('postgres'))('history check under random kills', () => {
  const workers: WorkerProcess[] = [];
  const databases: TestDatabase[] = [];

  afterAll(async () => {
    await stopWorkers(workers, 'SIGKILL');
    for (const t of databases) await t.drop();
  });

  async function crashRun(mode: 'plain' | 'transactional') {
    const t = await historyDatabase();
    databases.push(t);
    const db = t.db;
    const config = {
      url: t.url,
      schema,
      group: 'jepsen',
      mode,
      behaviour: mode === 'plain' ? 'history' : 'historyTx',
      startFrom: 'beginning',
      partitions: PARTITIONS,
      batchSize: 50,
      leaseMs: 2_000,
      pollIntervalMs: 50,
      slowRate: 0.05,
      slowMs: 8,
      fence: true,
    };
    const live = new Set<WorkerProcess>();
    const spawn = (): void => {
      const w = spawnWorker(config);
      workers.push(w);
      live.add(w);
      void w.exited.then(() => live.delete(w));
    };
    for (let i = 0; i < WORKERS; i++) spawn();
    // Kills should hit working processes, not ones still loading.
    await waitFor(
      async () =>
        (await db.sql<{ n: number }>`select count(*)::int as n from jepsen.workers`)[0]?.n ===
        WORKERS,
      60_000,
      'workers ready',
    );

    const delivered = async () =>
      (
        await db.sql<{ n: number }>`
          select count(distinct (key, n))::int as n from jepsen.history where stage = 'handled'`
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
        await new Promise((r) => setTimeout(r, Math.random() * 40));
      }
    })();
    let kills = 0;
    const killer = (async () => {
      while (kills < KILLS) {
        await new Promise((r) => setTimeout(r, 300 + Math.random() * 500));
        // At a random time, the process that delivered last: the likeliest to be mid-batch.
        const [latest] = await db.sql<{ pid: number }>`
          select pid from jepsen.history where stage = 'handled' order by id desc limit 1`;
        const victims = [...live];
        const victim =
          victims.find((w) => w.pid === latest?.pid) ??
          victims[Math.floor(Math.random() * victims.length)];
        if (victim === undefined) continue;
        victim.child.kill('SIGKILL');
        // The fence: deleting the victim's row waits for its statements in flight; after it,
        // nothing of the victim can land in the history, so the marker follows all of its work.
        await db.transaction(async (tx) => {
          await tx.query('delete from jepsen.fence where pid = $1', [victim.pid]);
          await tx.query(`insert into jepsen.history (pid, stage) values ($1, 'killed')`, [
            victim.pid,
          ]);
        });
        kills++;
        await victim.exited;
        spawn();
      }
    })();
    await Promise.all([publisher, killer]);
    // Polled slowly: the count scans the history, and the machine is shared.
    const until = Date.now() + 90_000;
    while ((await delivered()) !== KEYS * VALUES) {
      if (Date.now() > until) throw new Error('timed out waiting for every event to be delivered');
      await new Promise((r) => setTimeout(r, 200));
    }
    await stopWorkers([...live]);

    const history = await readHistory(db);
    const published = new Map(Array.from({ length: KEYS }, (_, i) => [`k${i}`, VALUES] as const));
    const report = checkHistory(history, published);
    const deliveries = history.filter((e) => e.type === undefined).length;
    return { report, deliveries, kills };
  }

  const clean = {
    ok: true,
    missing: [],
    outOfOrder: [],
    unexplainedDuplicates: [],
    lateReplays: [],
    acknowledgedUndelivered: [],
    deliveredAfterKill: [],
    acksChecked: true,
  };

  it('plain mode: 10,000 events per key in order through kills, replays only after a kill', {
    timeout: 150_000,
  }, async () => {
    const { report, deliveries, kills } = await crashRun('plain');
    expect(verdict(report)).toEqual(clean);
    expect(kills).toBe(KILLS);
    // The kills interrupted work: values were delivered again (and only as checked above).
    expect(report.duplicates).toBeGreaterThan(0);
    expect(report.replays).toBeGreaterThan(0);
    expect(deliveries).toBe(KEYS * VALUES + report.duplicates);
  });

  it('transactional mode: history written in the handler transaction has no duplicate at all', {
    timeout: 150_000,
  }, async () => {
    const { report, deliveries, kills } = await crashRun('transactional');
    expect(verdict(report)).toEqual(clean);
    expect(kills).toBe(KILLS);
    expect(report.duplicates).toBe(0);
    expect(report.replays).toBe(0);
    expect(deliveries).toBe(KEYS * VALUES);
  });
});
