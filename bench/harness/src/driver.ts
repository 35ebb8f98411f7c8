import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { PrivateCluster } from './cluster.js';

/** The systems the driver knows, by adapter entry file. */
export const SYSTEMS = {
  'vsa-bus': fileURLToPath(new URL('./adapters/vsa-bus.ts', import.meta.url)),
  'pg-boss': fileURLToPath(new URL('./adapters/pg-boss.ts', import.meta.url)),
} as const;

/** A system name of {@link SYSTEMS}. */
export type SystemName = keyof typeof SYSTEMS;

/** Phase lengths and load of one profile. */
export interface Profile {
  readonly name: 'quick' | 'full';
  readonly baselineS: number;
  readonly chaosS: number;
  readonly recoveryS: number;
  /** Length of the idle_in_tx stress phase (30 min in the full profile). */
  readonly idleInTxS: number;
  readonly rate: number;
  readonly drainTimeoutS: number;
  /**
   * repeated_kills: seconds between SIGKILLs of replica 0 (the neutral harness's
   * `repeated-kill(instance=0, period=20s)` over a 120 s phase; scaled down in the quick one).
   */
  readonly killPeriodS: number;
}

/** The quick profile (CI) and the long one. */
export const PROFILES: Record<'quick' | 'full', Profile> = {
  quick: {
    name: 'quick',
    baselineS: 3,
    chaosS: 4,
    recoveryS: 3,
    idleInTxS: 4,
    rate: 150,
    drainTimeoutS: 10,
    killPeriodS: 1.25,
  },
  full: {
    name: 'full',
    baselineS: 60,
    chaosS: 120,
    recoveryS: 120,
    idleInTxS: 1800,
    rate: 300,
    drainTimeoutS: 900,
    killPeriodS: 20,
  },
};

/** Every scenario, in run order. */
export const SCENARIOS = [
  'clean',
  'postgres_restart',
  'pg_backend_kill',
  'pool_exhaustion',
  'crash_recovery',
  'repeated_kills',
  'idle_in_tx',
  'sustained_high_load',
  'active_readers',
  'event_burst',
] as const;

/** A scenario name. */
export type Scenario = (typeof SCENARIOS)[number];

const CHAOS = new Set<Scenario>([
  'postgres_restart',
  'pg_backend_kill',
  'pool_exhaustion',
  'crash_recovery',
  'repeated_kills',
]);

/** One cell of the result table. */
export interface CellResult {
  readonly scenario: Scenario;
  readonly system: SystemName;
  readonly kind: 'clean' | 'chaos' | 'pressure';
  /** Completion rate (jobs/s) of the baseline (chaos) or clean (pressure) phase. */
  readonly baselineRate: number;
  readonly enqueueRate: number;
  /** recovery/baseline (chaos) or stress/clean (pressure) completion rate. */
  readonly ratio: number | null;
  readonly claimP50Ms: number | null;
  readonly claimP95Ms: number | null;
  readonly claimP99Ms: number | null;
  readonly maxQueueDepth: number;
  readonly produced: number;
  readonly jobsLost: number;
  readonly duplicates: number;
  /** Seconds from the end of the chaos until every job produced before it was done; null: never. */
  readonly recoveryS: number | null;
  /** What went wrong, in words (adapter exits, stop over 5 s, undrained jobs). */
  readonly notes: readonly string[];
}

interface Replica {
  readonly name: string;
  child: ChildProcess;
  exits: { code: number | null; signal: string | null; at: number }[];
  readonly env: Record<string, string>;
  /** Resolves when the replica first reports enqueued jobs (a sample with enqueue_rate > 0). */
  producing: Promise<void>;
}

function startReplica(
  system: SystemName,
  name: string,
  env: Record<string, string>,
  log: string[],
): Replica {
  const replica: Replica = {
    name,
    child: undefined as never,
    exits: [],
    env,
    producing: Promise.resolve(),
  };
  const launch = (): void => {
    const child = spawn(process.execPath, ['--import', 'tsx', SYSTEMS[system]], {
      env: { ...process.env, ...env, REPLICA_ID: name },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // The contract's sample lines tell when the replica really produces: a pressure phase
    // is measured from then, not from the spawn (process start-up differs per system).
    let buffered = '';
    replica.producing = new Promise<void>((resolve) => {
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (line.includes('"enqueue_rate"') && !/"value":(0|null)[,}]/.test(line)) resolve();
        }
      });
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim()) log.push(`${name}: ${line}`);
    });
    child.on('exit', (code, signal) => replica.exits.push({ code, signal, at: Date.now() }));
    replica.child = child;
  };
  launch();
  (replica as { restart?: () => void }).restart = launch;
  return replica;
}

function restart(replica: Replica): void {
  (replica as unknown as { restart: () => void }).restart();
}

function alive(replica: Replica): boolean {
  return replica.child.exitCode === null && replica.child.signalCode === null;
}

/** SIGTERM, then waits; returns the ms it took, or null when it had to be killed after 5 s. */
async function terminate(replica: Replica): Promise<number | null> {
  if (!alive(replica)) return 0;
  const t0 = Date.now();
  const exited = new Promise<void>((r) => replica.child.once('exit', () => r()));
  replica.child.kill('SIGTERM');
  const ok = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
  if (!ok) {
    replica.child.kill('SIGKILL');
    await exited;
    return null;
  }
  return Date.now() - t0;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function tryQuery<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T | null> {
  try {
    return await withClient(url, fn);
  } catch {
    return null;
  }
}

async function completionRate(url: string, from: number, to: number): Promise<number> {
  const n = await withClient(url, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      'select count(distinct job_id)::int as n from harness_effects where done_at >= $1 and done_at < $2',
      [new Date(from), new Date(to)],
    );
    return rows[0]?.n ?? 0;
  });
  return n / ((to - from) / 1000);
}

/**
 * Waits (up to 15 s) until a pressure producer reports its first enqueued jobs and returns
 * that moment: the start of the measured stress window. The wait is noted.
 */
async function startsProducing(replica: Replica, notes: string[]): Promise<number> {
  const spawned = Date.now();
  const ok = await Promise.race([
    replica.producing.then(() => true),
    sleep(15_000).then(() => false),
  ]);
  notes.push(
    ok
      ? `pressure producer up after ${((Date.now() - spawned) / 1000).toFixed(1)} s`
      : 'pressure producer reported nothing within 15 s',
  );
  return Date.now();
}

/** Runs one scenario against one system on a fresh database of the private cluster. */
export async function runCell(
  cluster: PrivateCluster,
  system: SystemName,
  scenario: Scenario,
  profile: Profile,
  log: string[],
): Promise<CellResult> {
  const url = await cluster.createDatabase(
    `${scenario}_${system.replace('-', '_')}_${Date.now() % 100000}`,
  );
  const notes: string[] = [];
  const base = {
    DATABASE_URL: url,
    SCENARIO: scenario,
    PRODUCER_MODE: 'fixed',
    PRODUCER_BATCH_MAX: '128',
    PRODUCER_BATCH_MS: '50',
    JOB_PAYLOAD_BYTES: '256',
    JOB_WORK_MS: '1',
    SAMPLE_EVERY_S: '1',
  };
  const twoReplicas = scenario === 'crash_recovery' || scenario === 'repeated_kills';
  const replicas: Replica[] = [];
  const extra: Replica[] = [];
  const held: pg.Client[] = [];
  let stopChaos = false;
  const background: Promise<unknown>[] = [];
  try {
    // Schema first (one worker replica installs it), then the producer.
    const workers = twoReplicas ? ['w1', 'w2'] : ['w1'];
    for (const name of workers) {
      replicas.push(
        startReplica(
          system,
          `${system}-${name}`,
          { ...base, PRODUCER_RATE: '0', WORKER_COUNT: twoReplicas ? '2' : '4' },
          log,
        ),
      );
    }
    const ready = async (): Promise<boolean> =>
      (await tryQuery(url, (c) => c.query('select 1 from harness_effects limit 1'))) !== null;
    for (let i = 0; i < 100 && !(await ready()); i++) await sleep(200);
    await sleep(1000); // workers joined
    const producer = startReplica(
      system,
      `${system}-producer`,
      { ...base, PRODUCER_RATE: String(profile.rate), WORKER_COUNT: '0' },
      log,
    );
    // Warm-up, not measured: until the producer's first jobs are done, then one second more.
    const firstDone = async (): Promise<boolean> =>
      ((await tryQuery(url, (c) => c.query('select 1 from harness_effects limit 1')))?.rowCount ??
        0) > 0;
    for (let i = 0; i < 100 && !(await firstDone()); i++) await sleep(100);
    // Then until the start-up backlog is worked off (depth under half a second of load, at
    // most 3 s), and half a second more: the baseline must be steady state, or the backlog
    // inflates it and every ratio after it.
    const backlog = async (): Promise<number> =>
      (await tryQuery(url, async (c) => {
        const { rows } = await c.query<{ n: number }>(
          `select ((select count(*) from harness_produced)
                 - (select count(distinct job_id) from harness_effects))::int as n`,
        );
        return rows[0]?.n ?? 0;
      })) ?? Number.POSITIVE_INFINITY;
    const warmUntil = Date.now() + 3000;
    while (Date.now() < warmUntil && (await backlog()) > profile.rate / 2) await sleep(100);
    await sleep(500);
    const t0 = Date.now();
    await sleep(profile.baselineS * 1000);
    const baselineEnd = Date.now();
    // Start of the stress window: later than the baseline's end when a producer must start first.
    let t1 = baselineEnd;
    // When the chaos itself is over (server back, replica restarted): recovery counts from here.
    let chaosOver: number | null = null;
    const stressS = scenario === 'idle_in_tx' ? profile.idleInTxS : profile.chaosS;
    // --- the chaos or the pressure ---
    switch (scenario) {
      case 'clean':
        break;
      case 'postgres_restart':
        await cluster.stop();
        await sleep((stressS * 1000) / 2);
        await cluster.start();
        chaosOver = Date.now();
        break;
      case 'pg_backend_kill':
        background.push(
          (async () => {
            while (!stopChaos) {
              await tryQuery(cluster.url(), (c) =>
                c.query(
                  `select pg_terminate_backend(pid) from pg_stat_activity
                    where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'
                    order by random() limit 1`,
                  [url.split('/').pop()],
                ),
              );
              await sleep(250);
            }
          })(),
        );
        break;
      case 'pool_exhaustion':
        for (let i = 0; i < 300; i++) {
          const c = new pg.Client({ connectionString: url });
          c.on('error', () => undefined);
          try {
            await c.connect();
            held.push(c);
          } catch {
            break;
          }
        }
        notes.push(`${held.length} idle connections held`);
        break;
      case 'crash_recovery': {
        const victim = replicas[0] as Replica;
        victim.child.kill('SIGKILL');
        await sleep(1000);
        restart(victim);
        chaosOver = Date.now();
        break;
      }
      case 'repeated_kills':
        // As the neutral harness's repeated-kill(instance=0, period): every period, SIGKILL
        // replica 0, 1 s later start it again; the other replica lives through the phase. A
        // kill whose restart falls after the phase's end is restarted at the end, so the
        // recovery phase starts with both replicas (and is measured from that restart).
        background.push(
          (async () => {
            const victim = replicas[0] as Replica;
            const stoppable = async (ms: number): Promise<boolean> => {
              const until = Date.now() + ms;
              while (!stopChaos && Date.now() < until)
                await sleep(Math.min(50, until - Date.now()));
              return stopChaos;
            };
            let kills = 0;
            while (!(await stoppable(profile.killPeriodS * 1000))) {
              victim.child.kill('SIGKILL');
              kills++;
              await stoppable(1000);
              restart(victim);
              chaosOver = Date.now();
            }
            notes.push(`${kills} kills of ${victim.name}`);
          })(),
        );
        break;
      case 'idle_in_tx': {
        const c = new pg.Client({ connectionString: url });
        c.on('error', () => undefined);
        await c.connect();
        await c.query('begin');
        await c.query('select txid_current()');
        held.push(c);
        break;
      }
      case 'sustained_high_load': {
        const second = startReplica(
          system,
          `${system}-producer-2`,
          { ...base, PRODUCER_RATE: String(profile.rate), WORKER_COUNT: '0' },
          log,
        );
        extra.push(second);
        t1 = await startsProducing(second, notes);
        break;
      }
      case 'active_readers':
        for (let r = 0; r < 4; r++) {
          background.push(
            (async () => {
              await sleep(r * 400);
              while (!stopChaos) {
                await tryQuery(url, async (c) => {
                  await c.query('begin isolation level repeatable read');
                  await c.query('select count(*) from harness_effects');
                  await c.query('select count(*) from harness_produced');
                  await sleep(1500);
                  await c.query('commit');
                });
              }
            })(),
          );
        }
        break;
      case 'event_burst': {
        const burst = startReplica(
          system,
          `${system}-burst`,
          { ...base, PRODUCER_RATE: String(profile.rate * 10), WORKER_COUNT: '0' },
          log,
        );
        extra.push(burst);
        t1 = await startsProducing(burst, notes);
        background.push(sleep(1500).then(() => Promise.all(extra.map(terminate))));
        break;
      }
    }
    const chaosEndTarget = t1 + stressS * 1000;
    if (Date.now() < chaosEndTarget) await sleep(chaosEndTarget - Date.now());
    const kind = scenario === 'clean' ? 'clean' : CHAOS.has(scenario) ? 'chaos' : 'pressure';
    // Pressure: the stress phase is measured while the pressure lasts.
    const t2 = Date.now();
    let stressRate: number | null = null;
    if (kind === 'pressure') {
      stressRate = await completionRate(url, t1, t2);
      // What was offered in the same window: a ratio only means something beside it.
      const offered = await withClient(url, async (c) => {
        const { rows } = await c.query<{ n: number }>(
          'select count(*)::int as n from harness_produced where enqueued_at >= $1 and enqueued_at < $2',
          [new Date(t1), new Date(t2)],
        );
        return (rows[0]?.n ?? 0) / ((t2 - t1) / 1000);
      });
      notes.push(`stress: ${offered.toFixed(0)}/s enqueued, ${stressRate.toFixed(0)}/s completed`);
    }
    stopChaos = true;
    for (const c of held.splice(0)) await c.end().catch(() => undefined);
    await Promise.all(background);
    await Promise.all(extra.map(terminate));
    // Chaos: the recovery phase starts once the chaos is really over (the kill loop's last
    // restart, the last backend killed), never inside it.
    const recoveryFrom = kind === 'chaos' ? Date.now() : t2;
    if (kind === 'chaos') await sleep(profile.recoveryS * 1000);
    const t3 = Date.now();
    // Drain: the producer stops, the workers must finish everything acknowledged.
    const producerStop = await terminate(producer);
    if (producerStop === null) notes.push('producer did not exit within 5 s of SIGTERM');
    const depth = async (): Promise<number> =>
      (await tryQuery(url, async (c) => {
        const { rows } = await c.query<{ n: number }>(
          `select count(*)::int as n from harness_produced p
            where not exists (select 1 from harness_effects e where e.job_id = p.job_id)`,
        );
        return rows[0]?.n ?? 0;
      })) ?? Number.POSITIVE_INFINITY;
    const drainUntil = Date.now() + profile.drainTimeoutS * 1000;
    let left = await depth();
    while (left > 0 && Date.now() < drainUntil) {
      await sleep(500);
      left = await depth();
    }
    for (const r of replicas) {
      for (const e of r.exits) {
        if (e.signal !== 'SIGKILL')
          notes.push(`${r.name} exited by itself (code ${e.code}, signal ${e.signal})`);
      }
      const ms = await terminate(r);
      if (ms === null) notes.push(`${r.name} did not exit within 5 s of SIGTERM`);
    }
    const baselineCompleted = await completionRate(url, t0, baselineEnd);
    const figures = await withClient(url, async (c) => {
      const lat = await c.query<{ p50: number | null; p95: number | null; p99: number | null }>(
        `select percentile_cont(0.5) within group (order by claim_ms) as p50,
                percentile_cont(0.95) within group (order by claim_ms) as p95,
                percentile_cont(0.99) within group (order by claim_ms) as p99
           from harness_effects where done_at >= $1 and done_at < $2`,
        [new Date(t0), new Date(t3)],
      );
      const acc = await c.query<{ produced: number; lost: number; dups: number; enq: number }>(
        `select (select count(*)::int from harness_produced) as produced,
                (select count(*)::int from harness_produced p
                  where not exists (select 1 from harness_effects e where e.job_id = p.job_id)) as lost,
                (select count(*)::int from (select job_id from harness_effects group by job_id having count(*) > 1) d) as dups,
                (select count(*)::int from harness_produced where enqueued_at >= $1 and enqueued_at < $2) as enq`,
        [new Date(t0), new Date(baselineEnd)],
      );
      const rec = await c.query<{ s: number | null; undone: number }>(
        `select extract(epoch from max(e.done_at) - $1::timestamptz)::float8 as s,
                count(*) filter (where e.job_id is null)::int as undone
           from harness_produced p left join lateral
                (select job_id, min(done_at) as done_at from harness_effects x where x.job_id = p.job_id group by job_id) e on true
          where p.enqueued_at < $1`,
        [new Date(chaosOver ?? t2)],
      );
      const depthMax = await c.query<{ n: number }>(
        `select coalesce(max(d), 0)::int as n from (
           select (select count(*) from harness_produced p where p.enqueued_at < g)
                - (select count(distinct job_id) from harness_effects e where e.done_at < g) as d
             from generate_series($1::timestamptz, $2::timestamptz, interval '1 second') g) x`,
        [new Date(t0), new Date(t3)],
      );
      return {
        lat: lat.rows[0],
        acc: acc.rows[0],
        rec: rec.rows[0],
        depthMax: depthMax.rows[0]?.n ?? 0,
      };
    });
    const recoveryRate = kind === 'chaos' ? await completionRate(url, recoveryFrom, t3) : null;
    // A completion rate above the rate offered in the same window is start-up backlog being
    // worked off, not capacity: the baseline is the steady state, at most what was offered
    // (seen: baselines of 158-164/s at 150/s offered, sinking those cells' ratios to 0.91-0.94).
    const enqueueRate = (figures.acc?.enq ?? 0) / ((baselineEnd - t0) / 1000);
    const baselineRate =
      enqueueRate > 0 ? Math.min(baselineCompleted, enqueueRate) : baselineCompleted;
    if (baselineRate < baselineCompleted) {
      notes.push(
        `baseline ${baselineCompleted.toFixed(0)}/s completed, capped at the ${enqueueRate.toFixed(0)}/s offered`,
      );
    }
    const ratio =
      baselineRate === 0
        ? null
        : kind === 'chaos'
          ? (recoveryRate ?? 0) / baselineRate
          : kind === 'pressure'
            ? (stressRate ?? 0) / baselineRate
            : 1;
    const lost = figures.acc?.lost ?? 0;
    if (lost > 0)
      notes.push(
        `${lost} acknowledged jobs never completed within the ${profile.drainTimeoutS} s drain`,
      );
    const recoveryS =
      kind !== 'chaos' || (figures.rec?.undone ?? 0) > 0
        ? kind === 'chaos'
          ? null
          : null
        : Math.max(0, figures.rec?.s ?? 0);
    return {
      scenario,
      system,
      kind,
      baselineRate,
      enqueueRate,
      ratio,
      claimP50Ms: figures.lat?.p50 ?? null,
      claimP95Ms: figures.lat?.p95 ?? null,
      claimP99Ms: figures.lat?.p99 ?? null,
      maxQueueDepth: figures.depthMax,
      produced: figures.acc?.produced ?? 0,
      jobsLost: lost,
      duplicates: figures.acc?.dups ?? 0,
      recoveryS,
      notes,
    };
  } finally {
    stopChaos = true;
    for (const c of held) await c.end().catch(() => undefined);
    for (const r of [...replicas, ...extra]) if (alive(r)) r.child.kill('SIGKILL');
  }
}
