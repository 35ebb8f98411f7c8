// `pnpm test`: one turbo run of every workspace's lint, typecheck, package checks and tests
// plus the root lint, cached per task; output is errors only; the last line is the test
// summary. Stale reports are removed first, so only this run's results (fresh or restored from
// turbo's cache) are counted.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { listWorkspaces } from './workspaces.mjs';

for (const w of listWorkspaces()) rmSync(join(w.path, '.vitest-results.json'), { force: true });
const turbo = spawnSync(
  'pnpm',
  [
    'exec',
    'turbo',
    'run',
    'lint',
    'lint:root',
    'typecheck',
    'check:package',
    'test',
    '--output-logs=errors-only',
    '--continue',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
const summary = spawnSync('node', [join(import.meta.dirname, 'test-summary.mjs')], {
  stdio: 'inherit',
});
process.exit(turbo.status !== 0 ? turbo.status || 1 : (summary.status ?? 1));
