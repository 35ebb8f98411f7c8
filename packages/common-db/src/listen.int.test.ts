import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase, testEngines } from './testing/index.js';

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
});
