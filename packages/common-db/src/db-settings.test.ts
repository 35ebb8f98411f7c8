import { describe, expect, it } from 'vitest';
import { databaseOptionsFromSettings, dbSettings } from './db-settings.js';

describe('dbSettings', () => {
  it('has development defaults and maps to createDatabase options', () => {
    const parsed = dbSettings.parse({});
    expect(parsed).toEqual({
      PGLITE_DATA_DIR: '.data/pglite',
      DB_POOL_MAX: 10,
      DB_STATEMENT_TIMEOUT_MS: 30_000,
      DB_QUERY_TIMEOUT_MS: 35_000,
      DB_CONNECT_TIMEOUT_MS: 2_000,
      DB_IDLE_TIMEOUT_MS: 10_000,
      DB_APPLICATION_NAME: 'vsa-api',
    });
    expect(
      databaseOptionsFromSettings(
        dbSettings.parse({
          DATABASE_URL: 'postgres://h/db',
          DB_STATEMENT_TIMEOUT_MS: '0',
          DB_QUERY_TIMEOUT_MS: '0',
        }),
      ),
    ).toEqual({
      url: 'postgres://h/db',
      dataDir: '.data/pglite',
      pool: {
        max: 10,
        idleTimeoutMs: 10_000,
        connectionTimeoutMs: 2_000,
        applicationName: 'vsa-api',
      },
    });
    expect(databaseOptionsFromSettings(dbSettings.parse({})).pool).toMatchObject({
      statementTimeoutMs: 30_000,
      queryTimeoutMs: 35_000,
      connectionTimeoutMs: 2_000,
    });
  });

  it('rejects bad values', () => {
    expect(dbSettings.safeParse({ DATABASE_URL: 'mysql://x' }).success).toBe(false);
    expect(dbSettings.safeParse({ DB_POOL_MAX: '0' }).success).toBe(false);
    expect(dbSettings.safeParse({ DB_POOL_MAX: 'many' }).success).toBe(false);
    expect(dbSettings.safeParse({ DB_CONNECT_TIMEOUT_MS: '0' }).success).toBe(false);
    expect(dbSettings.safeParse({ DB_QUERY_TIMEOUT_MS: '-1' }).success).toBe(false);
  });

  it('refuses a postgres URL that does not parse, such as a port above 65535', () => {
    const result = dbSettings.safeParse({ DATABASE_URL: 'postgres://u@h:99999/db' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('port is between 1 and 65535');
    expect(dbSettings.safeParse({ DATABASE_URL: 'postgres://u@h:5432/db' }).success).toBe(true);
  });

  it('marks every variable with meta; DATABASE_URL is a production-required secret', () => {
    for (const [name, schema] of Object.entries(dbSettings.shape)) {
      const meta = (schema as { meta(): Record<string, unknown> | undefined }).meta();
      expect(meta?.description, name).toBeTypeOf('string');
      expect(meta?.example, name).toBeTypeOf('string');
    }
    expect(dbSettings.shape.DATABASE_URL.meta()).toMatchObject({
      secret: true,
      requiredInProduction: true,
    });
  });
});
