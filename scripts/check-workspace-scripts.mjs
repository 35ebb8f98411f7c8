// Every workspace runs the shared test and package-check flow: a published package's
// `check:package` is scripts/check-package.mjs and every workspace with tests merges
// vitest.shared.ts (whose reporters write the report the test summary counts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listWorkspaces } from './workspaces.mjs';

const CHECK = 'node ../../scripts/check-package.mjs';
const problems = [];
for (const w of listWorkspaces()) {
  const scripts = w.manifest.scripts ?? {};
  if (w.manifest.private !== true && scripts['check:package'] !== CHECK) {
    problems.push(`${w.name}: "check:package" must be "${CHECK}"`);
  }
  if (scripts.test) {
    const config = join(w.path, 'vitest.config.ts');
    if (!existsSync(config) || !readFileSync(config, 'utf8').includes('vitest.shared.ts')) {
      problems.push(`${w.name}: vitest.config.ts must merge the root vitest.shared.ts`);
    }
  }
}
for (const p of problems) process.stderr.write(`${p}\n`);
process.exit(problems.length === 0 ? 0 : 1);
