// Prints `tests: N passed, N failed, N skipped` alone on a line (the line CI reads), summed
// over the JSON report of every workspace that has a `test` script. Turbo restores each report
// as its `test` task's output on a cache hit, so the counts hold then too. A workspace with no
// report (its task failed or never ran) fails the summary.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listWorkspaces } from './workspaces.mjs';

let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
for (const w of listWorkspaces()) {
  if (!w.manifest.scripts?.test) continue;
  const file = join(w.path, '.vitest-results.json');
  if (!existsSync(file)) {
    problems.push(
      `${w.name}: no test report (its test task failed before reporting, or did not run)`,
    );
    continue;
  }
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  if (!report.success)
    problems.push(`${w.name}: test run failed (${report.numFailedTests} failed)`);
}
for (const p of problems) process.stderr.write(`${p}\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(problems.length === 0 && failed === 0 && passed > 0 ? 0 : 1);
