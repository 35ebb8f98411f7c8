import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { httpSettings, runtimeSettings, type TrustProxy } from './base-settings.js';
import { envBoolean } from './env-boolean.js';
import { ConfigError, SettingsError } from './errors.js';
import { loadSettings } from './load-settings.js';

// A fragment shaped like the ones sibling packages export (no import of this package's helpers).
const dbSettings = z.object({
  DATABASE_URL: z.url().optional().meta({
    description: 'PostgreSQL connection string; unset uses embedded PGlite',
    example: 'postgres://app:app-password@db:5432/shop',
    secret: true,
    requiredInProduction: true,
  }),
  DB_POOL_MAX: z.coerce
    .number()
    .int()
    .positive()
    .default(10)
    .meta({ description: 'Pool size', example: '10' }),
});

const featureSettings = z.object({
  FEATURE_X: envBoolean().default(false).meta({ description: 'Enable X', example: 'true' }),
  API_TOKEN: z
    .string()
    .min(20, { error: (issue) => `token ${String(issue.input)} is too short` })
    .optional()
    .meta({
      secret: true,
      description: 'Token for the partner API',
      example: 'tok_0123456789abcdefghij',
    }),
});

const fragments = [runtimeSettings, httpSettings, dbSettings, featureSettings] as const;

function failure(fn: () => unknown): SettingsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('expected a SettingsError');
}

describe('loadSettings', () => {
  it('applies development defaults to an empty environment', () => {
    const settings = loadSettings({ fragments, env: {} });
    expect({ ...settings }).toEqual({
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: 3000,
      TRUST_PROXY: false,
      BODY_LIMIT: 1_048_576,
      DATABASE_URL: undefined,
      DB_POOL_MAX: 10,
      FEATURE_X: false,
      API_TOKEN: undefined,
    });
  });

  it('infers the composed type from the fragments', () => {
    const settings = loadSettings({ fragments, env: {} });
    expectTypeOf(settings.PORT).toEqualTypeOf<number>();
    expectTypeOf(settings.NODE_ENV).toEqualTypeOf<'development' | 'test' | 'production'>();
    expectTypeOf(settings.DATABASE_URL).toEqualTypeOf<string | undefined>();
    expectTypeOf(settings.FEATURE_X).toEqualTypeOf<boolean>();
    expectTypeOf(settings.TRUST_PROXY).toEqualTypeOf<TrustProxy>();
  });

  it('coerces strings and parses "false" as false', () => {
    const settings = loadSettings({
      fragments,
      env: { PORT: '8080', FEATURE_X: 'false', DB_POOL_MAX: '3', NODE_ENV: 'test' },
    });
    expect(settings.PORT).toBe(8080);
    expect(settings.FEATURE_X).toBe(false);
    expect(settings.DB_POOL_MAX).toBe(3);
    expect(settings.NODE_ENV).toBe('test');
    expect(loadSettings({ fragments, env: { FEATURE_X: 'YES' } }).FEATURE_X).toBe(true);
  });

  it('treats empty and blank strings as unset, so defaults apply', () => {
    const settings = loadSettings({ fragments, env: { PORT: '', HOST: '  ', FEATURE_X: '' } });
    expect(settings.PORT).toBe(3000);
    expect(settings.HOST).toBe('127.0.0.1');
    expect(settings.FEATURE_X).toBe(false);
  });

  it('never modifies the record it reads', () => {
    const env = { PORT: '', HOST: 'example.org', UNRELATED: 'x' };
    loadSettings({ fragments, env });
    expect(env).toEqual({ PORT: '', HOST: 'example.org', UNRELATED: 'x' });
  });

  it('reads process.env by default', () => {
    const before = process.env.BODY_LIMIT;
    process.env.BODY_LIMIT = '2048';
    try {
      expect(loadSettings({ fragments }).BODY_LIMIT).toBe(2048);
    } finally {
      if (before === undefined) delete process.env.BODY_LIMIT;
      else process.env.BODY_LIMIT = before;
    }
  });

  it('returns a deeply frozen object', () => {
    const settings = loadSettings({ fragments, env: { TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' } });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(settings.TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1']);
    expect(Object.isFrozen(settings.TRUST_PROXY)).toBe(true);
    expect(() => {
      (settings as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it('lists every problem in one error, with the variable, what was expected and an example', () => {
    const error = failure(() =>
      loadSettings({
        fragments,
        env: { PORT: 'eighty', NODE_ENV: 'staging', FEATURE_X: 'maybe', DB_POOL_MAX: '-1' },
      }),
    );
    expect(error.code).toBe('VSA_CONFIG_INVALID');
    expect(error.issues.map((issue) => issue.variable)).toEqual([
      'NODE_ENV',
      'PORT',
      'DB_POOL_MAX',
      'FEATURE_X',
    ]);
    expect(error.message).toContain('Invalid settings (4 problems):');
    expect(error.message).toContain('  - PORT: expected number, received NaN (got "eighty")');
    expect(error.message).toContain('example: PORT=3000  # TCP port to listen on');
    expect(error.message).toContain(
      'NODE_ENV: Invalid option: expected one of "development"|"test"|"production" (got "staging")',
    );
    expect(error.message).toContain('FEATURE_X');
    expect(error.message).toContain('example: FEATURE_X=true');
  });

  it('requires variables marked requiredInProduction when NODE_ENV=production', () => {
    expect(loadSettings({ fragments, env: {} }).DATABASE_URL).toBeUndefined();
    const error = failure(() => loadSettings({ fragments, env: { NODE_ENV: 'production' } }));
    expect(error.issues).toEqual([
      {
        variable: 'DATABASE_URL',
        message: 'required when NODE_ENV=production, but not set',
        example: 'postgres://app:***@db:5432/shop',
        description: 'PostgreSQL connection string; unset uses embedded PGlite',
        secret: true,
      },
    ]);
    const ok = loadSettings({
      fragments,
      env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/shop' },
    });
    expect(ok.DATABASE_URL).toBe('postgres://db/shop');
  });

  it('applies the production rule even when no fragment declares NODE_ENV, and ignores defaults for it', () => {
    const withDefault = z.object({
      SESSION_SECRET: z
        .string()
        .default('dev-only-secret')
        .meta({ secret: true, requiredInProduction: true }),
    });
    expect(loadSettings({ fragments: [withDefault], env: {} }).SESSION_SECRET).toBe(
      'dev-only-secret',
    );
    const error = failure(() =>
      loadSettings({ fragments: [withDefault], env: { NODE_ENV: 'production' } }),
    );
    expect(error.issues.map((issue) => issue.variable)).toEqual(['SESSION_SECRET']);
  });

  it('reports a missing required variable once, as not set', () => {
    const required = z.object({
      QUEUE_NAME: z.string().meta({ description: 'Queue', example: 'orders' }),
    });
    const error = failure(() => loadSettings({ fragments: [required], env: { QUEUE_NAME: '' } }));
    expect(error.message).toBe(
      [
        'Invalid settings (1 problem):',
        '  - QUEUE_NAME: required, but not set',
        '      example: QUEUE_NAME=orders  # Queue',
        'Set these variables in the environment or the .env file, then start again.',
      ].join('\n'),
    );
  });

  it('never prints the value of a secret, even when a custom message quotes it', () => {
    const secretValue = 'short-secret-value';
    const badUrl = 'not a url but hunter2';
    const error = failure(() =>
      loadSettings({ fragments, env: { API_TOKEN: secretValue, DATABASE_URL: badUrl } }),
    );
    expect(error.issues.map((issue) => issue.variable)).toEqual(['DATABASE_URL', 'API_TOKEN']);
    expect(error.message).not.toContain(secretValue);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('API_TOKEN: invalid value (not shown: secret)');
    expect(error.message).toContain('DATABASE_URL: Invalid URL');
    expect(error.issues.every((issue) => issue.received === undefined)).toBe(true);
    expect(JSON.stringify(error.issues)).not.toContain(secretValue);
  });

  it('rejects bad arguments with a typed error that says what to pass', () => {
    const bad = [
      () => loadSettings({ fragments: [] }),
      () => loadSettings({ fragments: [z.string()] as unknown as [typeof runtimeSettings] }),
      () => loadSettings(undefined as unknown as { fragments: [] }),
      () => loadSettings({ fragments, envFile: '' }),
      () => loadSettings({ fragments, env: null as unknown as Record<string, string> }),
      () => loadSettings({ fragments, env: { PORT: 3000 as unknown as string } }),
    ];
    for (const fn of bad) {
      expect(fn).toThrow(ConfigError);
      expect(fn).toThrow(expect.objectContaining({ code: 'VSA_CONFIG_INVALID_ARGUMENT' }));
    }
  });

  it('rejects an unknown option naming it and the accepted ones', () => {
    expect(() => loadSettings({ fragments, envfile: '.env' } as never)).toThrow(
      expect.objectContaining({
        code: 'VSA_CONFIG_INVALID_ARGUMENT',
        message:
          'loadSettings(options): unknown option "envfile" (accepted: fragments, env, envFile)',
      }),
    );
  });

  it('rejects two fragments that declare one variable differently, accepts a reused schema', () => {
    const clash = z.object({ PORT: z.string() });
    expect(() => loadSettings({ fragments: [httpSettings, clash], env: {} })).toThrow(
      expect.objectContaining({ code: 'VSA_CONFIG_FRAGMENT_CONFLICT' }),
    );
    const reuse = z.object({ PORT: httpSettings.shape.PORT });
    expect(loadSettings({ fragments: [httpSettings, reuse], env: {} }).PORT).toBe(3000);
  });
});

describe('loadSettings with envFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vsa-config-'));
  const file = join(dir, '.env');
  writeFileSync(
    file,
    '# comment\nPORT=4000\nHOST=file-host\nFEATURE_X="no"\nDATABASE_URL=postgres://u:p@h/db\n',
  );

  it('reads the file with Node’s parser; the real environment wins', () => {
    const settings = loadSettings({
      fragments,
      env: { HOST: 'env-host', PORT: '' },
      envFile: file,
    });
    expect(settings.HOST).toBe('env-host');
    expect(settings.PORT).toBe(4000);
    expect(settings.FEATURE_X).toBe(false);
    expect(settings.DATABASE_URL).toBe('postgres://u:p@h/db');
  });

  it('does not modify process.env', () => {
    loadSettings({ fragments, env: {}, envFile: file });
    expect(process.env.DATABASE_URL === 'postgres://u:p@h/db').toBe(false);
  });

  it('skips a missing file and fails on an unreadable one', () => {
    expect(loadSettings({ fragments, env: {}, envFile: join(dir, 'absent.env') }).PORT).toBe(3000);
    expect(() => loadSettings({ fragments, env: {}, envFile: dir })).toThrow(
      expect.objectContaining({ code: 'VSA_CONFIG_ENV_FILE' }),
    );
  });
});
