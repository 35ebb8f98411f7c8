import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpSettings, runtimeSettings } from './base-settings.js';
import { checkEnvExample, envExampleVariables, formatEnvExample } from './env-example.js';
import { readEnvFile } from './env-file.js';

const dir = mkdtempSync(join(tmpdir(), 'vsa-env-example-'));
const db = z.object({
  DATABASE_URL: z.url().optional().meta({
    description: 'Postgres URL',
    example: 'postgres://app:pw@db/shop',
    secret: true,
    requiredInProduction: true,
  }),
  QUEUE: z.string().meta({ description: 'Queue name', example: 'orders' }),
});
const fragments = [runtimeSettings, httpSettings, db];

function write(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('checkEnvExample', () => {
  it('accepts a file that documents every variable (commented-out ones count)', () => {
    const path = write('ok.env', formatEnvExample(fragments));
    expect(checkEnvExample(path, fragments)).toEqual({ ok: true, missing: [], extra: [] });
  });

  it('reports missing and extra variables', () => {
    const path = write(
      'bad.env',
      'NODE_ENV=development\n# PORT=3000\nexport HOST=0.0.0.0\nOLD_VAR=1\n',
    );
    expect(checkEnvExample(path, fragments)).toEqual({
      ok: false,
      missing: ['TRUST_PROXY', 'BODY_LIMIT', 'DATABASE_URL', 'QUEUE'],
      extra: ['OLD_VAR'],
    });
  });

  it('fails with VSA_CONFIG_ENV_FILE when the file is missing', () => {
    expect(() => checkEnvExample(join(dir, 'absent'), fragments)).toThrow(
      expect.objectContaining({ code: 'VSA_CONFIG_ENV_FILE' }),
    );
  });
});

describe('argument checks', () => {
  // readFileSync takes a number as a file descriptor (0 = stdin): it must never get one.
  it.each([
    ['checkEnvExample', () => checkEnvExample(0 as unknown as string, fragments)],
    ['checkEnvExample', () => checkEnvExample('', fragments)],
    ['readEnvFile', () => readEnvFile(0 as unknown as string)],
    ['readEnvFile', () => readEnvFile(undefined as unknown as string)],
    ['envExampleVariables', () => envExampleVariables(undefined as unknown as string)],
    ['formatEnvExample', () => formatEnvExample([])],
  ])('%s rejects a bad argument with VSA_CONFIG_INVALID_ARGUMENT', (name, call) => {
    expect(call).toThrow(
      expect.objectContaining({
        code: 'VSA_CONFIG_INVALID_ARGUMENT',
        message: expect.stringContaining(`${name}()`),
      }),
    );
  });
});

describe('formatEnvExample', () => {
  it('writes description, flags and example; optional variables commented out', () => {
    const text = formatEnvExample([db]);
    expect(text).toBe(
      [
        '# Postgres URL',
        '# (secret; required in production)',
        '# DATABASE_URL=postgres://app:pw@db/shop',
        '',
        '# Queue name',
        'QUEUE=orders',
        '',
      ].join('\n'),
    );
    expect(formatEnvExample([httpSettings])).toContain('# (default: 3000)\n# PORT=3000');
  });

  it('ignores prose comments that only mention a variable', () => {
    expect(envExampleVariables('# set PORT=3000 for dev\n  # HOST=x\nA_B=1\n\n=bad\n')).toEqual([
      'HOST',
      'A_B',
    ]);
  });
});
