// `pnpm reliability --suite api`: the API as a black box. Runs the built apps/api/dist/main.js
// as a child process against a private PostgreSQL cluster and talks to it over HTTP only.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import pg from 'pg';
import { createPrivateCluster, type PrivateCluster } from './cluster.js';

const MAIN = fileURLToPath(new URL('../../../apps/api/dist/main.js', import.meta.url));
/** The admin routes' bearer token of this run: the log scan looks for it too. */
const ADMIN_TOKEN = randomBytes(24).toString('hex');

/** SKUs the suite stocks before any order (so every order is reserved and shipped). */
const SKUS = ['sku-a', 'sku-b', 'sku-c'] as const;

/** The body of `POST /orders`: one place to change when the order contract changes. */
export function orderBody(i: number): Record<string, unknown> {
  return {
    customer: `customer-${i}`,
    lines: [{ sku: SKUS[i % SKUS.length], quantity: 1 + (i % 3) }],
  };
}

/** Stocks every SKU of {@link orderBody} far beyond what a run orders. */
async function stockUp(base: string): Promise<void> {
  for (const sku of SKUS) {
    const res = await fetch(`${base}/inventory/${sku}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ available: 1_000_000_000 }),
    });
    if (res.status !== 200)
      throw new Error(`PUT /inventory/${sku} → ${res.status}: ${await res.text()}`);
  }
}

/** One check of the suite. */
export interface ApiCheck {
  readonly name: string;
  readonly ok: boolean | 'skipped';
  readonly detail: string;
}

interface Api {
  child: ChildProcess;
  readonly base: string;
  exit: Promise<number | null>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

async function startApi(url: string, port: number, logs: string[]): Promise<Api> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DB_POOL_MAX: '8',
      // Production does not migrate on start by default; the suite's fresh database needs it.
      MIGRATE_ON_START: 'true',
      ADMIN_TOKEN,
      // A stable member identity: the restarted process takes its own partitions back at once.
      INSTANCE_ID: 'api-0',
      // Every load of the suite comes from one address: the per-client limit (600 a minute)
      // answered 429 on a fast machine. The 429 itself is tested in the API's own tests.
      RATE_LIMIT_MAX: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => logs.push(...chunk.split('\n').filter(Boolean)));
  }
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null)
      throw new Error(`API exited with ${child.exitCode}: ${logs.slice(-5).join('\n')}`);
    const ok = await fetch(`${base}/health/live`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, base, exit };
    await sleep(100);
  }
  throw new Error('API did not listen within 30 s');
}

interface Load {
  readonly accepted: string[];
  readonly statuses: Map<number, number>;
  readonly badProblems: string[];
  stop(): Promise<void>;
}

/** Posts orders from `concurrency` loops until stopped; records every 201's order id. */
function load(base: string, concurrency = 4): Load {
  let running = true;
  let i = 0;
  const accepted: string[] = [];
  const statuses = new Map<number, number>();
  const badProblems: string[] = [];
  const loops = Array.from({ length: concurrency }, async () => {
    while (running) {
      try {
        const res = await fetch(`${base}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(orderBody(i++)),
          signal: AbortSignal.timeout(10_000),
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const text = await res.text();
        if (res.status === 201) accepted.push((JSON.parse(text) as { id: string }).id);
        else if (
          res.status >= 400 &&
          !(res.headers.get('content-type') ?? '').includes('problem+json')
        ) {
          badProblems.push(`${res.status} ${res.headers.get('content-type')}`);
        }
      } catch {
        statuses.set(0, (statuses.get(0) ?? 0) + 1); // connection refused / reset
        await sleep(50);
      }
    }
  });
  return {
    accepted,
    statuses,
    badProblems,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

async function q<T extends pg.QueryResultRow>(
  url: string,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

/** Every accepted order has its OrderPlaced event and exactly one shipment and ShipmentScheduled. */
async function accountOrders(
  url: string,
  ids: readonly string[],
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await q<{
      missing_order: number;
      missing_event: number;
      missing_ship: number;
      dup_ship: number;
      dup_sched: number;
    }>(
      url,
      `with ids as (select unnest($1::text[]) as id)
       select (select count(*)::int from ids where not exists (select 1 from "Order" o where o.id = ids.id)) as missing_order,
              (select count(*)::int from ids where not exists (select 1 from vsa_events.events e
                 where e.type = 'OrderPlaced' and e.payload->>'orderId' = ids.id)) as missing_event,
              (select count(*)::int from ids where not exists (select 1 from "Shipment" s where s."orderId" = ids.id)) as missing_ship,
              (select count(*)::int from (select "orderId" from "Shipment" group by 1 having count(*) > 1) d) as dup_ship,
              (select count(*)::int from (select payload->>'orderId' from vsa_events.events
                 where type = 'ShipmentScheduled' group by 1 having count(*) > 1) d) as dup_sched`,
      [ids],
    );
    const r = row as NonNullable<typeof row>;
    const done = r.missing_order === 0 && r.missing_event === 0 && r.missing_ship === 0;
    if ((done && r.dup_ship === 0 && r.dup_sched === 0) || Date.now() > deadline) {
      return done && r.dup_ship === 0 && r.dup_sched === 0
        ? ''
        : `missing orders ${r.missing_order}, events ${r.missing_event}, shipments ${r.missing_ship}; duplicate shipments ${r.dup_ship}, ShipmentScheduled ${r.dup_sched}`;
    }
    await sleep(250);
  }
}

/** Runs every black-box check; never leaves a process or folder behind. */
export async function runApiSuite(): Promise<{
  checks: ApiCheck[];
  firstDeliveryAfterRestartS: number | null;
}> {
  const checks: ApiCheck[] = [];
  const logs: string[] = [];
  let cluster: PrivateCluster | undefined;
  let api: Api | undefined;
  let firstDeliveryAfterRestartS: number | null = null;
  const check = (name: string, ok: boolean | 'skipped', detail = ''): void => {
    checks.push({ name, ok, detail });
    process.stderr.write(
      `${ok === true ? 'ok  ' : ok === 'skipped' ? 'skip' : 'FAIL'} ${name} ${detail}\n`,
    );
  };
  try {
    cluster = await createPrivateCluster();
    const url = await cluster.createDatabase('api');
    const port = await freePort();
    api = await startApi(url, port, logs);
    await stockUp(api.base);

    // 1. kill -9 mid-load, restart: every 201 accounted, exactly one effect.
    {
      const l = load(api.base);
      await sleep(2000);
      api.child.kill('SIGKILL');
      await api.exit;
      await l.stop();
      const before =
        (await q<{ n: number }>(url, 'select count(*)::int as n from "Shipment"'))[0]?.n ?? 0;
      const restartAt = Date.now();
      api = await startApi(url, port, logs);
      const listeningS = (Date.now() - restartAt) / 1000;
      // First consumer delivery after the restart: the first shipment beyond those already there.
      for (let i = 0; i < 1200; i++) {
        const n =
          (await q<{ n: number }>(url, 'select count(*)::int as n from "Shipment"'))[0]?.n ?? 0;
        if (n > before) {
          firstDeliveryAfterRestartS = (Date.now() - restartAt) / 1000;
          break;
        }
        if (n === l.accepted.length) break;
        await sleep(100);
      }
      const problem = await accountOrders(url, l.accepted, 60_000);
      check(
        'kill -9 mid-load, restart: every 201 order has its events and one shipment',
        problem === '',
        `${l.accepted.length} accepted; ${problem}`,
      );
      check(
        'first consumer delivery within 5 s of the restart',
        firstDeliveryAfterRestartS !== null && firstDeliveryAfterRestartS <= 5,
        `${firstDeliveryAfterRestartS ?? 'none'} s after the restart began (the new process answered /health/live after ${listeningS.toFixed(1)} s)`,
      );
    }
    // 2. SIGTERM mid-load: in-flight requests finish, exit 0, nothing lost.
    {
      const l = load(api.base);
      await sleep(1500);
      api.child.kill('SIGTERM');
      const code = await Promise.race([api.exit, sleep(15_000).then(() => 'hang' as const)]);
      await l.stop();
      const problem = await accountOrders(url, l.accepted, 1000).then((p) =>
        p.includes('missing orders 0, events 0') || p === '' ? '' : p,
      );
      check(
        'SIGTERM mid-load: exit 0, every 201 stored with its event',
        code === 0 && problem === '',
        `exit ${code}; ${problem}`,
      );
      api = await startApi(url, port, logs);
      const rest = await accountOrders(url, l.accepted, 60_000);
      check('SIGTERM mid-load: shipments after restart', rest === '', rest);
    }
    // 3. Every backend killed during load: 503 problem+json, recovery without restart.
    {
      const l = load(api.base);
      await sleep(700);
      for (let k = 0; k < 5; k++) {
        await q(
          url,
          `select pg_terminate_backend(pid) from pg_stat_activity where datname = 'api' and pid <> pg_backend_pid()`,
        );
        await sleep(200);
      }
      await sleep(1000);
      await l.stop();
      const fiveHundreds = [...l.statuses].filter(([s]) => s >= 500 && s !== 503);
      const after = await fetch(`${api.base}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(orderBody(1)),
      }).catch((error: Error) => ({ status: `${error.message} (${String(error.cause)})` }));
      if (api.child.exitCode !== null || api.child.signalCode !== null) {
        check(
          'API survives every backend killed',
          false,
          `exited with ${api.child.exitCode}: ${logs.slice(-3).join(' / ')}`,
        );
        api = await startApi(url, port, logs);
      }
      check(
        'backends killed during load: only 503 problem+json, then 201 without restart',
        fiveHundreds.length === 0 && l.badProblems.length === 0 && after.status === 201,
        `statuses ${JSON.stringify([...l.statuses])}; after: ${after.status}`,
      );
      const problem = await accountOrders(url, l.accepted, 30_000);
      check('backends killed: every 201 accounted', problem === '', problem);
    }
    // 4. PostgreSQL stopped and started: readiness 503 while down, recovers.
    {
      await cluster.stop();
      const down = await fetch(`${api.base}/health/ready`, {
        signal: AbortSignal.timeout(10_000),
      }).then(
        (r) => r.status,
        () => -1,
      );
      await cluster.start();
      let up = -1;
      for (let i = 0; i < 100 && up !== 200; i++) {
        up = await fetch(`${api.base}/health/ready`).then(
          (r) => r.status,
          () => -1,
        );
        if (up !== 200) await sleep(200);
      }
      check(
        'PostgreSQL down: /health/ready 503, then 200',
        down === 503 && up === 200,
        `down ${down}, up ${up}`,
      );
    }
    // 5. Admin routes.
    {
      const res = await fetch(`${api.base}/admin/status/consumers`);
      if (res.status === 404)
        check(
          'admin routes reject a missing or wrong token (401)',
          'skipped',
          'no /admin routes in this build',
        );
      else {
        const wrong = await fetch(`${api.base}/admin/status/consumers`, {
          headers: { authorization: 'Bearer wrong-token-of-enough-length' },
        });
        const right = await fetch(`${api.base}/admin/status/consumers`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        await Promise.all([res.text(), wrong.text(), right.text()]);
        check(
          'admin routes reject a missing or wrong token (401), accept the right one',
          res.status === 401 && wrong.status === 401 && right.status === 200,
          `missing ${res.status}, wrong ${wrong.status}, right ${right.status}`,
        );
      }
    }
    // 6. Fuzzed input: only 4xx problem+json, and no order row from a rejected request.
    {
      const count = async (): Promise<number> =>
        (await q<{ n: number }>(url, 'select count(*)::int as n from "Order"'))[0]?.n ?? 0;
      const failures: string[] = [];
      const target = api.base;
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.jsonValue(),
            fc.record(
              {
                customer: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
                total: fc.oneof(fc.integer({ min: -1e9, max: 1e10 }), fc.double(), fc.string()),
              },
              { requiredKeys: [] },
            ),
          ),
          fc.string(),
          async (body, junk) => {
            const before = await count();
            const res = await fetch(`${target}/orders`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify(body),
            });
            const ct = res.headers.get('content-type') ?? '';
            await res.text();
            if (res.status >= 500 || (res.status >= 400 && !ct.includes('problem+json')))
              failures.push(`POST /orders ${JSON.stringify(body)} → ${res.status} ${ct}`);
            if (res.status >= 400 && (await count()) !== before)
              failures.push(`POST /orders rejected but wrote a row: ${JSON.stringify(body)}`);
            for (const path of [
              `/orders/${encodeURIComponent(junk)}`,
              `/shipments/${encodeURIComponent(junk)}`,
            ]) {
              const r = await fetch(`${target}${path}`);
              await r.text();
              if (r.status >= 500) failures.push(`GET ${path} → ${r.status}`);
            }
            const raw = await fetch(`${target}/orders`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: junk,
            });
            await raw.text();
            if (raw.status >= 500)
              failures.push(`POST /orders raw ${JSON.stringify(junk)} → ${raw.status}`);
          },
        ),
        { numRuns: 150 },
      );
      check(
        'fuzzed input: only 4xx problem+json, no row from a rejected request',
        failures.length === 0,
        failures.slice(0, 3).join(' | '),
      );
    }
  } catch (error) {
    check('suite ran to the end', false, (error as Error).message);
  } finally {
    if (api && api.child.exitCode === null) {
      api.child.kill('SIGTERM');
      await Promise.race([api.exit, sleep(5000)]);
      if (api.child.exitCode === null) api.child.kill('SIGKILL');
    }
    const password = cluster?.password;
    await cluster?.destroy();
    // Every API log line of the run, for a failure's post-mortem.
    if (process.env.RELIABILITY_API_LOG)
      writeFileSync(process.env.RELIABILITY_API_LOG, `${logs.join('\n')}\n`);
    if (password) {
      const leaks = logs.filter((line) => line.includes(password));
      check(
        'no log line carries the database password',
        leaks.length === 0,
        `${logs.length} lines scanned, ${leaks.length} with the password`,
      );
    }
    const tokenLeaks = logs.filter((line) => line.includes(ADMIN_TOKEN));
    check(
      'admin token absent from logs',
      tokenLeaks.length === 0,
      `${logs.length} lines scanned, ${tokenLeaks.length} with the token`,
    );
  }
  return { checks, firstDeliveryAfterRestartS };
}
