import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testEngines } from './testing/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** LISTEN connections of the database at `url`, counted from a connection of its own. */
async function listenBackends(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and application_name like '%:listen'`,
    );
    return rows[0]?.n ?? -1;
  } finally {
    await client.end();
  }
}

describe.runIf(testEngines().includes('postgres'))('LISTEN on postgres', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase({ engine: 'postgres' });
  });
  afterAll(() => t?.drop());

  const next = () => {
    let resolve: (value: string) => void = () => {};
    const promise = new Promise<string>((r) => {
      resolve = r;
    });
    return { promise, resolve };
  };

  it('re-listens after pg_terminate_backend, reports the reconnect, and keeps delivering', async () => {
    let message = next();
    let reconnected = next();
    const errors: Error[] = [];
    const unlisten = await t.db.listen('jobs', (payload) => message.resolve(payload), {
      onReconnect: () => reconnected.resolve('yes'),
      onError: (error) => errors.push(error),
    });
    await t.db.notify('jobs', 'before');
    expect(await message.promise).toBe('before');

    const [killed] = await t.db.sql<{ n: string }>`
      select count(pg_terminate_backend(pid))::text as n from pg_stat_activity
       where datname = current_database() and query ilike 'LISTEN%'`;
    expect(killed?.n).toBe('1');
    expect(await reconnected.promise).toBe('yes');
    expect(errors.length).toBeGreaterThanOrEqual(1);

    message = next();
    await t.db.notify('jobs', 'after');
    expect(await message.promise).toBe('after');

    // A second drop is survived too.
    reconnected = next();
    await t.db.sql`select pg_terminate_backend(pid) from pg_stat_activity
                    where datname = current_database() and query ilike 'LISTEN%'`;
    expect(await reconnected.promise).toBe('yes');
    message = next();
    await t.db.notify('jobs', 'again');
    expect(await message.promise).toBe('again');
    await unlisten();
  });

  it('reports the backend pid of the listening session, null when it is lost, the new one after', async () => {
    const sessions: (number | null)[] = [];
    let changed = next();
    const unlisten = await t.db.listen('pids', () => {}, {
      onSession: (pid) => {
        sessions.push(pid);
        changed.resolve(String(pid));
      },
    });
    const listening = async () =>
      (
        await t.db.sql<{ pid: number }>`
        select pid from pg_stat_activity where datname = current_database() and query ilike 'LISTEN%'`
      ).map((r) => r.pid);
    expect(sessions).toEqual([...(await listening())]);
    const first = sessions[0] as number;
    changed = next();
    await t.db.sql`select pg_terminate_backend(${first}::integer)`;
    await changed.promise; // null: lost
    changed = next();
    await changed.promise; // the new session
    expect(sessions[1]).toBeNull();
    expect(sessions[2]).not.toBe(first);
    expect(await listening()).toEqual([sessions[2]]);
    await unlisten();
  });

  it('shares one connection for all channels', async () => {
    const u1 = await t.db.listen('a', () => {});
    const u2 = await t.db.listen('b', () => {});
    const [row] = await t.db.sql<{ n: string }>`
      select count(*)::text as n from pg_stat_activity
       where datname = current_database() and application_name like '%:listen'`;
    expect(row?.n).toBe('1');
    await u1();
    await u2();
  });

  it('opens one LISTEN connection when listen() is called during the reconnect delay', async () => {
    const own = await createTestDatabase({ engine: 'postgres' });
    try {
      const got: Record<string, string[]> = { a: [], b: [] };
      let lost: () => void = () => {};
      const dropped = new Promise<void>((resolve) => {
        lost = resolve;
      });
      let reconnected: () => void = () => {};
      const back = new Promise<void>((resolve) => {
        reconnected = resolve;
      });
      await own.db.listen('a', (payload) => got.a?.push(payload), {
        onError: () => lost(),
        onReconnect: () => reconnected(),
      });
      await own.db.sql`select pg_terminate_backend(pid) from pg_stat_activity
                        where datname = current_database() and application_name like '%:listen'`;
      await dropped;
      // The reconnect timer (>= 100 ms) is pending: this listen() must not open a second connection.
      await own.db.listen('b', (payload) => got.b?.push(payload));
      await back;
      await sleep(300); // a second reconnect, if any, would have happened by now
      expect(await listenBackends(own.url)).toBe(1);
      await own.db.notify('a', 'x');
      await own.db.notify('b', 'y');
      await sleep(300);
      expect(got).toEqual({ a: ['x'], b: ['y'] });
      await own.db.close();
      let left = await listenBackends(own.url);
      for (let i = 0; i < 20 && left > 0; i++) {
        await sleep(100);
        left = await listenBackends(own.url);
      }
      expect(left).toBe(0);
    } finally {
      await own.drop();
    }
  });
});
