// Every public entry point rejects bad input with VSA_DB_INVALID_ARGUMENT before it touches a
// database, a file or the network. None of these calls needs a server.

import { InvalidArgumentError } from '@vsa/common-errors';
import { describe, expect, it } from 'vitest';
import {
  createMigration,
  defaultMigrationsDir,
  loadMigrations,
  migrationChecksum,
  migrationStatus,
} from './admin/index.js';
import {
  applyMigrations,
  createDatabase,
  databaseOptionsFromSettings,
  sqlFragment,
  sqlJoin,
  withRetry,
} from './index.js';
import { createTestPostgresUrl } from './testing/index.js';

const unreachable = 'postgres://postgres@127.0.0.1:1/nothing';
const missingDir = '/nonexistent/vsa-db/prisma/migrations';

describe('input validation', () => {
  it.each<[string, () => unknown]>([
    ['createDatabase pool.max 0', () => createDatabase({ url: unreachable, pool: { max: 0 } })],
    ['createDatabase pool.max -1', () => createDatabase({ url: unreachable, pool: { max: -1 } })],
    [
      'createDatabase pool.statementTimeoutMs NaN',
      () => createDatabase({ url: unreachable, pool: { statementTimeoutMs: Number.NaN } }),
    ],
    [
      'createDatabase pool.applicationName 5',
      () => createDatabase({ url: unreachable, pool: { applicationName: 5 as never } }),
    ],
    ['createDatabase pool null', () => createDatabase({ url: unreachable, pool: null as never })],
    ['applyMigrations on a non-database', () => applyMigrations(null as never, { migrations: [] })],
    ['migrationStatus on a non-database', () => migrationStatus({} as never, { migrations: [] })],
    ['loadMigrations(undefined)', () => loadMigrations(undefined as never)],
    ['loadMigrations(null)', () => loadMigrations(null as never)],
    ['loadMigrations of a folder that does not exist', () => loadMigrations({ dir: missingDir })],
    ['migrationChecksum(5)', () => migrationChecksum(5 as never)],
    ['defaultMigrationsDir(5)', () => defaultMigrationsDir(5 as never)],
    ['databaseOptionsFromSettings(null)', () => databaseOptionsFromSettings(null as never)],
    ['sqlFragment called, not tagged', () => sqlFragment('a = 1' as never)],
    ['sqlJoin(5)', () => sqlJoin(5 as never)],
    ['sqlJoin separator 5', () => sqlJoin([1, 2], 5 as never)],
    ['createTestPostgresUrl(5)', () => createTestPostgresUrl(5 as never)],
    ['createTestPostgresUrl(mysql)', () => createTestPostgresUrl('mysql://x/y')],
  ])('%s', async (_, call) => {
    // Sync throws and rejected promises are both acceptable; anything else is not.
    const error = await Promise.resolve()
      .then(call)
      .then(
        (value) => ({ resolved: value }),
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ code: 'VSA_DB_INVALID_ARGUMENT' });
  });

  it('rejects unknown option keys naming the key and the accepted ones', async () => {
    await expect(createDatabase({ url: unreachable, poool: {} } as never)).rejects.toThrow(
      'createDatabase(options): unknown option "poool" (accepted: url, PrismaClient, logger, pool, dataDir, pglite, transactionTimeoutMs, closeTimeoutMs)',
    );
    await expect(createDatabase({ url: unreachable, pool: { maxx: 2 } } as never)).rejects.toThrow(
      'pool: unknown option "maxx" (accepted: max, idleTimeoutMs,',
    );
    await expect(withRetry(async () => 1, { retrys: 2 } as never)).rejects.toThrow(
      'withRetry(fn, options): unknown option "retrys" (accepted: retries, backoff, shouldRetry, onRetry)',
    );
    await expect(withRetry(async () => 1, { backoff: { jiter: 1 } } as never)).rejects.toThrow(
      'backoff: unknown option "jiter" (accepted: initialMs, maxMs, factor, jitter)',
    );
    const db = await createDatabase({ url: 'memory:' });
    try {
      await expect(db.transaction(async () => 1, { timout: 5 } as never)).rejects.toThrow(
        'transaction(fn, options): unknown option "timout" (accepted: isolationLevel, timeout, retry)',
      );
      await expect(
        db.transaction(async () => 1, { retry: { retries: 1, onretry: () => {} } } as never),
      ).rejects.toMatchObject({ code: 'VSA_DB_INVALID_ARGUMENT' });
      await expect(applyMigrations(db, { migrations: [], schems: 'x' } as never)).rejects.toThrow(
        'applyMigrations(db, options): unknown option "schems" (accepted: migrations, schema)',
      );
      await expect(migrationStatus(db, { migration: [] } as never)).rejects.toThrow(
        'unknown option "migration" (accepted: migrations, schema)',
      );
      await expect(
        createMigration(db, { schemaFile: 's', dir: 'd', name: 'n', aply: false } as never),
      ).rejects.toThrow(
        'createMigration(db, options): unknown option "aply" (accepted: schemaFile, dir, schema, name, apply, now)',
      );
    } finally {
      await db.close();
    }
  });

  it('names the missing folder and what to pass instead', async () => {
    await expect(loadMigrations({ dir: missingDir })).rejects.toThrow(
      `Migrations folder ${missingDir} does not exist: pass the folder that holds <timestamp>_<name>/migration.sql`,
    );
    // The first `migrate dev` of a new app starts from no folder at all.
    await expect(loadMigrations({ dir: missingDir }, { missingDir: 'empty' })).resolves.toEqual({
      migrations: [],
      lockfile: null,
    });
  });

  it('still accepts the valid forms', () => {
    expect(migrationChecksum('select 1')).toMatch(/^[0-9a-f]{64}$/);
    expect(defaultMigrationsDir('prisma/schema.prisma')).toBe('prisma/migrations');
    expect(sqlJoin([1, 2], ' and ').values).toEqual([1, 2]);
    expect(sqlFragment`a = ${1}`.values).toEqual([1]);
  });
});
