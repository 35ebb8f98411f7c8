import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { checkEnvExample } from '@vsa/common-config';
import { describe, expect, it } from 'vitest';
import { apiSettingsFragments } from './settings.js';

const appDir = fileURLToPath(new URL('..', import.meta.url));

describe('API settings', () => {
  it('.env.example documents exactly the variables of the composed schema', () => {
    const report = checkEnvExample(`${appDir}.env.example`, apiSettingsFragments);
    expect({ missing: report.missing, extra: report.extra }).toEqual({ missing: [], extra: [] });
  });

  it('prints every bad variable and exits 1 before listening', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: appDir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env.PATH, PORT: 'not-a-port', LOG_LEVEL: 'loud', HOST: '127.0.0.1' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('LOG_LEVEL');
    expect(result.stdout).not.toContain('listening');
  });

  // Started from the repository root: the app finds its own files, not the caller's. `tsx`
  // is resolved here, as the root cannot resolve it.
  const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const runFromRoot = (env: Record<string, string>) =>
    spawnSync(
      process.execPath,
      ['--import', tsxLoader, fileURLToPath(new URL('./main.ts', import.meta.url))],
      {
        cwd: fileURLToPath(new URL('../../..', import.meta.url)),
        encoding: 'utf8',
        timeout: 30_000,
        env: { PATH: process.env.PATH, ...env },
      },
    );

  it('in production a missing DATABASE_URL is an error listed with the others, without stack frames', () => {
    const result = runFromRoot({ NODE_ENV: 'production', EVENTS_LISTEN: 'sometimes' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^Invalid settings \(/);
    expect(result.stderr).toMatch(/DATABASE_URL.*production/);
    expect(result.stderr).toContain('EVENTS_LISTEN');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).not.toContain('listening');
  });

  it('names a bad secret without printing its value', () => {
    const password = 'hunter2-do-not-print';
    const result = runFromRoot({ DATABASE_URL: `mysql://app:${password}@db.internal:3306/app` });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).not.toContain(password);
    expect(result.stdout).not.toContain(password);
  });
});
