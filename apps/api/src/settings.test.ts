import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
});
