// Prints the plain closing line CI readers understand, from Vitest's JSON report.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync('.vitest-results.json', 'utf8'));
const passed = report.numPassedTests;
const failed = report.numFailedTests;
const skipped = report.numPendingTests + report.numTodoTests;
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(failed === 0 && report.success && passed > 0 ? 0 : 1);
