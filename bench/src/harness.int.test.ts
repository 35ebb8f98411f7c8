import { existsSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createBenchContext, serverUrl } from './harness.js';

async function databaseExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rows.length === 1;
  } finally {
    await admin.end();
  }
}

describe('throwaway databases', () => {
  it('ctx.pg() creates a database, and cleanup ends its clients and drops it', async () => {
    const ctx = createBenchContext({ name: 'harness-int', log: () => {} });
    const db = await ctx.pg('check');
    expect(db.name).toMatch(/^bench_harness_int_check_[0-9a-f]{8}$/);
    expect(new URL(db.url).pathname).toBe(`/${db.name}`);
    const client = await db.connect();
    const { rows } = await client.query<{ current_database: string }>('SELECT current_database()');
    expect(rows[0]?.current_database).toBe(db.name);
    // Left open on purpose: cleanup must end it before the drop.
    await db.connect();
    expect(await databaseExists(db.name)).toBe(true);
    expect(await ctx.cleanup()).toEqual([]);
    expect(await databaseExists(db.name)).toBe(false);
  });

  it('ctx.pglite() opens a file-backed PGlite and removes its folder at cleanup', async () => {
    const ctx = createBenchContext({ name: 'harness-int', log: () => {} });
    const db = await ctx.pglite();
    const { rows } = await db.query<{ one: number }>('SELECT 1 AS one');
    expect(rows[0]?.one).toBe(1);
    const dir = db.dataDir as string;
    expect(existsSync(dir)).toBe(true);
    expect(await ctx.cleanup()).toEqual([]);
    expect(db.closed).toBe(true);
    expect(existsSync(dir)).toBe(false);
  });
});
