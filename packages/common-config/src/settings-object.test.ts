import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runtimeSettings } from './base-settings.js';
import { ConfigError } from './errors.js';
import { loadSettings } from './load-settings.js';
import { redactValue } from './redact.js';
import { redactSettings, secretVariables } from './settings-object.js';

const PASSWORD = 'pa55-w0rd-xyz';
const TOKEN = 'tok_live_abcdefghijklmnop';
const secrets = z.object({
  DATABASE_URL: z.url().meta({ secret: true, description: 'db', example: 'postgres://a:b@h/d' }),
  API_TOKEN: z.string().meta({ secret: true }),
  PUBLIC_NAME: z.string().default('shop'),
});

function load() {
  return loadSettings({
    fragments: [runtimeSettings, secrets],
    env: {
      DATABASE_URL: `postgres://app:${PASSWORD}@db:5432/shop?sslmode=require`,
      API_TOKEN: TOKEN,
    },
  });
}

describe('settings object redaction', () => {
  it('keeps the real values for the program', () => {
    const settings = load();
    expect(settings.DATABASE_URL).toBe(`postgres://app:${PASSWORD}@db:5432/shop?sslmode=require`);
    expect(settings.API_TOKEN).toBe(TOKEN);
  });

  it('redacts secrets in JSON.stringify, keeping host and database of a connection string', () => {
    const json = JSON.stringify(load());
    expect(JSON.parse(json)).toEqual({
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://app:***@db:5432/shop?sslmode=require',
      API_TOKEN: '[redacted]',
      PUBLIC_NAME: 'shop',
    });
    expect(JSON.stringify({ nested: { settings: load() } })).not.toContain(PASSWORD);
  });

  it('redacts secrets in util.inspect (console.log) and String()', () => {
    const settings = load();
    for (const text of [
      inspect(settings),
      String(settings),
      `${settings}`,
      inspect({ settings }, { depth: 5 }),
    ]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(TOKEN);
      expect(text).toContain('postgres://app:***@db:5432/shop');
      expect(text).toContain('shop');
    }
    expect(String(settings)).toMatch(/^Settings \{/);
  });

  it('redactSettings returns a frozen plain copy without secrets', () => {
    const redacted = redactSettings(load());
    expect(redacted).toEqual({
      NODE_ENV: 'development',
      DATABASE_URL: 'postgres://app:***@db:5432/shop?sslmode=require',
      API_TOKEN: '[redacted]',
      PUBLIC_NAME: 'shop',
    });
    expect(Object.isFrozen(redacted)).toBe(true);
    expect(secretVariables(load())).toEqual(['DATABASE_URL', 'API_TOKEN']);
  });

  it('redactSettings refuses objects that did not come from loadSettings', () => {
    expect(() => redactSettings({ ...load() })).toThrow(ConfigError);
    expect(() => redactSettings(null as unknown as object)).toThrow(
      expect.objectContaining({ code: 'VSA_CONFIG_INVALID_ARGUMENT' }),
    );
  });

  it('secretVariables refuses a copy instead of reporting no secrets', () => {
    expect(() => secretVariables({ ...load() })).toThrow(
      expect.objectContaining({
        code: 'VSA_CONFIG_INVALID_ARGUMENT',
        message: expect.stringContaining('secretVariables()'),
      }),
    );
  });
});

describe('redactValue', () => {
  it.each([
    ['postgres://app:secret@db:5432/shop', 'postgres://app:***@db:5432/shop'],
    ['postgresql://db.internal/shop', 'postgresql://db.internal/shop'],
    [
      'postgres://app@db/shop?password=secret&sslmode=verify-full',
      'postgres://app@db/shop?password=***&sslmode=verify-full',
    ],
    ['redis://:secret@cache:6379/0', 'redis://:***@cache:6379/0'],
    [
      'https://hooks.example.com/services/T000/B000/XXXX?x=1',
      'https://hooks.example.com/***?x=***',
    ],
    ['https://user:pw@example.com/', 'https://user:***@example.com/'],
    ['amqp://u:p@mq:5672/vhost#frag', 'amqp://u:***@mq:5672/vhost#***'],
    ['plain-secret', '[redacted]'],
    ['postgres://u:p@[bad', '[redacted]'],
    [12345, '[redacted]'],
    [undefined, undefined],
  ])('%s → %s', (input, expected) => {
    expect(redactValue(input)).toBe(expected);
  });
});
