import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BenchError } from './errors.js';
import { renderReport } from './report.js';
import { listBenchmarks, loadBenchmark, runBenchmark } from './runner.js';

// CLI: `node dist/run.js <name> [--runs N] [--strict]` (what `pnpm bench <name>` runs).
const here = dirname(fileURLToPath(import.meta.url));
const benchmarksDir = join(here, 'benchmarks');
const resultsDir = join(here, '..', 'results');

const usage = `usage: pnpm bench <name> [--runs N] [--strict]
  --runs N   runs per measurement (default 3; figures are medians)
  --strict   exit 1 when a target is missed (default: report only, exit 0)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string' },
      strict: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    const available = await listBenchmarks(benchmarksDir);
    process.stderr.write(`${usage}\navailable: ${available.join(', ') || '(none built)'}\n`);
    return values.help ? 0 : 2;
  }
  const runs = values.runs === undefined ? undefined : Number(values.runs);
  if (runs !== undefined && !(Number.isSafeInteger(runs) && runs > 0)) {
    process.stderr.write(`--runs takes a positive integer, got ${values.runs}\n${usage}\n`);
    return 2;
  }
  const benchmark = await loadBenchmark(benchmarksDir, positionals[0] as string);
  process.stderr.write(`running ${benchmark.name}: ${benchmark.description}\n`);
  const results = await runBenchmark(benchmark, {
    resultsDir,
    ...(runs === undefined ? {} : { runs }),
  });
  process.stdout.write(renderReport(results));
  process.stdout.write(`results: ${join(resultsDir, `${benchmark.name}.json`)}\n`);
  if (results.error) return 1;
  return values.strict && results.missed > 0 ? 1 : 0;
}

// Exit explicitly: a peer library that leaves a timer behind must not keep the report hanging.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof BenchError ? `${error.code}: ${error.message}` : String(error)}\n`,
    );
    process.exit(1);
  },
);
