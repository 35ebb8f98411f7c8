import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./pretty-transport.fixture.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('loggerOptions({ pretty: true }) given to Fastify', () => {
  it('writes human-readable lines through the pino-pretty transport', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', fixture], {
      cwd: packageDir,
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/INFO.*\(api\): order placed/);
    expect(result.stdout).toContain('requestId: "r-1"');
    expect(result.stdout).toContain('orderId: "o-1"');
    expect(result.stdout).not.toContain('{"level"');
  });
});
