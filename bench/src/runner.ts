import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { BenchError } from './errors.js';
import { type Benchmark, createBenchContext, isBenchmark, serverUrl } from './harness.js';
import type { BenchResults, MachineInfo } from './report.js';

/** Names of the compiled benchmarks in `dir` (files `<name>.js`, tests excluded). */
export async function listBenchmarks(dir: string): Promise<string[]> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.js') && !f.endsWith('.test.js'))
    .map((f) => f.slice(0, -'.js'.length))
    .sort();
}

/** Imports `dir/<name>.js` and checks that its default export is a benchmark. */
export async function loadBenchmark(dir: string, name: string): Promise<Benchmark> {
  const available = await listBenchmarks(dir);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !available.includes(name)) {
    throw new BenchError(
      'VSA_BENCH_UNKNOWN_BENCHMARK',
      `Unknown benchmark "${name}". Available: ${available.join(', ') || '(none built)'}. ` +
        'A benchmark is src/benchmarks/<name>.ts with a default export from defineBenchmark().',
    );
  }
  const module = (await import(pathToFileURL(join(dir, `${name}.js`)).href)) as {
    default?: unknown;
  };
  if (!isBenchmark(module.default)) {
    throw new BenchError(
      'VSA_BENCH_INVALID_MODULE',
      `src/benchmarks/${name}.ts must \`export default defineBenchmark({ name: '${name}', ... })\``,
    );
  }
  if (module.default.name !== name) {
    throw new BenchError(
      'VSA_BENCH_INVALID_MODULE',
      `src/benchmarks/${name}.ts declares name "${module.default.name}"; the name must equal the file name`,
    );
  }
  return module.default;
}

/** Node, CPU and PostgreSQL facts for the results file. */
export async function collectMachineInfo(databaseUrl: string = serverUrl()): Promise<MachineInfo> {
  let postgres: string | null = null;
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    postgres = rows[0]?.server_version ?? null;
  } catch {
    postgres = null;
  } finally {
    await client.end().catch(() => {});
  }
  const cpuList = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    postgres,
  };
}

/** Options of {@link runBenchmark}. */
export interface RunOptions {
  /** Default runs per measurement (3). */
  runs?: number;
  /** Folder for `<name>.json`; not written when omitted. */
  resultsDir?: string;
  databaseUrl?: string;
  log?: (line: string) => void;
  /** Replaces the machine probe (tests). */
  machineInfo?: () => Promise<MachineInfo>;
}

/**
 * Runs one benchmark, always cleans up, and returns (and writes) its results. A benchmark that
 * throws still yields a results object, with `error` set and the figures taken so far.
 */
export async function runBenchmark(
  benchmark: Benchmark,
  options: RunOptions = {},
): Promise<BenchResults> {
  const started = Date.now();
  const ctx = createBenchContext({
    name: benchmark.name,
    ...(options.runs === undefined ? {} : { runs: options.runs }),
    ...(options.databaseUrl === undefined ? {} : { databaseUrl: options.databaseUrl }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  const machine = await (options.machineInfo ?? (() => collectMachineInfo(options.databaseUrl)))();
  let error: string | undefined;
  try {
    await benchmark.run(ctx);
  } catch (cause) {
    error = cause instanceof Error ? (cause.stack ?? cause.message) : String(cause);
  }
  const cleanupFailures = await ctx.cleanup();
  if (cleanupFailures.length > 0) {
    const detail = cleanupFailures.map((e) => e.message).join('; ');
    error = error ? `${error}\ncleanup: ${detail}` : `cleanup: ${detail}`;
  }
  const recorded = ctx.recorded();
  const results: BenchResults = {
    name: benchmark.name,
    description: benchmark.description,
    date: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    runs: ctx.runs,
    machine,
    ...recorded,
    missed: recorded.targets.filter((t) => !t.met).length,
    ...(error === undefined ? {} : { error }),
  };
  if (options.resultsDir) {
    await mkdir(options.resultsDir, { recursive: true });
    await writeFile(
      join(options.resultsDir, `${benchmark.name}.json`),
      `${JSON.stringify(results, null, 2)}\n`,
    );
  }
  return results;
}
