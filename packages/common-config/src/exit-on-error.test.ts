import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runtimeSettings } from './base-settings.js';
import { SettingsError } from './errors.js';
import { loadSettingsOrExit } from './exit-on-error.js';

const fixture = fileURLToPath(new URL('./exit-on-error.fixture.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const PASSWORD = 'very-secret-pw';

/** Runs the fixture entry point as a real process with exactly `env` (plus PATH). */
function boot(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', fixture], {
    cwd: packageDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('loadSettingsOrExit in a real process', () => {
  it('prints every problem to stderr and exits 1 before listening', () => {
    const { code, stdout, stderr } = boot({
      NODE_ENV: 'production',
      PORT: 'http',
      TRUST_PROXY: 'a,,b',
    });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      [
        'Invalid settings (3 problems):',
        '  - PORT: expected number, received NaN (got "http")',
        '      example: PORT=3000  # TCP port to listen on (0 picks a free port)',
        '  - TRUST_PROXY: expected true, false, a hop count, or a comma-separated list of addresses/CIDRs (got "a,,b")',
        '      example: TRUST_PROXY=1  # Trust X-Forwarded-* from proxies: true, false, a hop count, or addresses/CIDRs',
        '  - DATABASE_URL: required when NODE_ENV=production, but not set',
        '      example: DATABASE_URL=postgres://app:***@db:5432/shop  # PostgreSQL connection string',
        'Set these variables in the environment or the .env file, then start again.',
        '',
      ].join('\n'),
    );
  });

  it('never prints a secret value on the error path', () => {
    const { code, stdout, stderr } = boot({ PORT: '-5', DATABASE_URL: `not-a-url-${PASSWORD}` });
    expect(code).toBe(1);
    expect(stderr).toContain('DATABASE_URL: Invalid URL');
    expect(stderr).toContain('PORT: Too small');
    expect(stdout + stderr).not.toContain(PASSWORD);
  });

  it('starts with valid settings and prints them redacted', () => {
    const { code, stdout, stderr } = boot({
      PORT: '4321',
      DATABASE_URL: `postgres://app:${PASSWORD}@db/shop`,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('listening on 127.0.0.1:4321');
    expect(stdout).toContain('"DATABASE_URL":"postgres://app:***@db/shop"');
    expect(stdout).not.toContain(PASSWORD);
  });
});

describe('loadSettingsOrExit with injected io', () => {
  it('rethrows errors that are not configuration errors', () => {
    const exit = (code: number): never => {
      throw new Error(`exit ${code}`);
    };
    const boom = {
      get fragments(): never {
        throw new RangeError('boom');
      },
    };
    expect(() =>
      loadSettingsOrExit(boom as unknown as { fragments: [typeof runtimeSettings] }, { exit }),
    ).toThrow(RangeError);
  });

  it('writes the report and calls exit(1)', () => {
    let written = '';
    const exit = (code: number): never => {
      throw new Error(`exit ${code}`);
    };
    expect(() =>
      loadSettingsOrExit(
        { fragments: [runtimeSettings], env: { NODE_ENV: 'prod' } },
        { stderr: { write: (text: string) => (written += text) }, exit },
      ),
    ).toThrow('exit 1');
    expect(written).toMatch(/^Invalid settings \(1 problem\):\n {2}- NODE_ENV: /);
    expect(SettingsError.name).toBe('SettingsError');
  });
});
