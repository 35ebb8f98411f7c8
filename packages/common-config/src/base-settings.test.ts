import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { httpSettings, runtimeSettings } from './base-settings.js';
import { envBoolean } from './env-boolean.js';
import { SettingsError } from './errors.js';
import { loadSettings } from './load-settings.js';
import { readSettingMeta } from './setting-meta.js';

const load = (env: Record<string, string>) =>
  loadSettings({ fragments: [runtimeSettings, httpSettings], env });

describe('httpSettings', () => {
  it.each([
    ['true', true],
    ['FALSE', false],
    ['2', 2],
    ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
  ])('TRUST_PROXY=%s parses to %j', (raw, expected) => {
    expect(load({ TRUST_PROXY: raw }).TRUST_PROXY).toEqual(expected);
  });

  it.each([
    ['PORT', '65536'],
    ['PORT', '3000.5'],
    ['PORT', '-1'],
    ['BODY_LIMIT', '0'],
    ['TRUST_PROXY', 'a,,b'],
    ['TRUST_PROXY', '10.0.0.1 10.0.0.2'],
  ])('rejects %s=%s', (name, raw) => {
    expect(() => load({ [name]: raw })).toThrow(SettingsError);
  });

  it('documents every variable with a description and an example', () => {
    for (const fragment of [runtimeSettings, httpSettings]) {
      for (const [name, schema] of Object.entries(fragment.shape)) {
        const meta = readSettingMeta(schema);
        expect(meta.description, name).toEqual(expect.any(String));
        expect(meta.example, name).toEqual(expect.any(String));
      }
    }
  });
});

describe('envBoolean', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'on', 'y'])('%s is true', (raw) => {
    expect(envBoolean().parse(raw)).toBe(true);
  });
  it.each(['false', 'False', '0', 'no', 'off', 'n'])('%s is false', (raw) => {
    expect(envBoolean().parse(raw)).toBe(false);
  });
  it('rejects anything else', () => {
    expect(envBoolean().safeParse('maybe').success).toBe(false);
    expect(envBoolean().safeParse('').success).toBe(false);
  });
});

describe('readSettingMeta', () => {
  it('reads meta through wrappers, outer meta winning', async () => {
    const { z } = await import('zod');
    expect(readSettingMeta(z.url().meta({ secret: true, example: 'a' }).optional())).toEqual({
      secret: true,
      example: 'a',
    });
    expect(
      readSettingMeta(
        z.string().meta({ description: 'inner' }).default('x').meta({ description: 'outer' }),
      ),
    ).toEqual({ description: 'outer' });
    expect(
      readSettingMeta(envBoolean().optional().meta({ requiredInProduction: true, example: 1 })),
    ).toEqual({
      requiredInProduction: true,
      example: '1',
    });
  });

  it('rejects something that is not a zod schema', () => {
    for (const bad of [undefined, null, 'PORT', {}]) {
      expect(() => readSettingMeta(bad as unknown as z.ZodString), String(bad)).toThrow(
        expect.objectContaining({ code: 'VSA_CONFIG_INVALID_ARGUMENT' }),
      );
    }
  });
});
