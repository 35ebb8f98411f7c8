import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { BenchError } from './errors.js';
import { formatValue } from './format.js';
import { perSecond, summarize } from './stats.js';

/** How a target compares: the value must be at least, or at most, the target. */
export type Comparison = 'atLeast' | 'atMost';

/** One reported number. Figures from repeated runs carry the spread and every run. */
export interface Figure {
  name: string;
  /** The headline: the median for repeated figures. */
  value: number;
  /** e.g. `rows/s`, `events/s`, `ms`. */
  unit: string;
  min?: number;
  max?: number;
  /** Each run's value, in run order. */
  runs?: number[];
  /**
   * Set on the figures of one `ctx.sample` call: their runs were taken in the same rounds, so
   * a ratio between two of them is the median of the per-round ratios.
   */
  rounds?: string;
}

/** A same-run ratio of two figures (or plain numbers). */
export interface Ratio {
  name: string;
  value: number;
  /** Name of the numerator figure, or `"value"` for a plain number. */
  numerator: string;
  denominator: string;
  /** For figures measured in the same rounds: each round's ratio (the value is their median). */
  perRound?: number[];
}

/** A target check, as written to the results file. */
export interface Target {
  name: string;
  value: number;
  target: number;
  comparison: Comparison;
  /** Fraction the value may fall short by and still count as met (0.15 = 15%). */
  tolerance: number;
  met: boolean;
}

/** Result of one timed run: items done, or items plus a duration the run measured itself. */
export type RunResult = number | { items: number; ms: number };

/** Options of {@link BenchContext.repeat}. */
export interface RepeatOptions {
  /** Number of runs; default `ctx.runs` (3, or `--runs`). */
  runs?: number;
  /**
   * Untimed, unrecorded runs before the measured ones (JIT, plan and buffer caches), with
   * `before`/`after` as usual and `run` = 0; default 0. Give the anchors and peers the same.
   */
  warmup?: number;
  /** Unit of the rate; default `ops/s`. */
  unit?: string;
  /** Untimed preparation before each run (TRUNCATE, CHECKPOINT, ...). */
  before?: (run: number) => Promise<void> | void;
  /** Untimed check after each run, given the items the run reported; throw to fail. */
  after?: (items: number, run: number) => Promise<void> | void;
}

/** Options of {@link BenchContext.sample}. */
export interface SampleOptions {
  runs?: number;
  /** As {@link RepeatOptions.warmup}: untimed, unrecorded runs first, with `run` = 0. */
  warmup?: number;
  /** One unit for every key, or a unit per key; default `ms`. */
  unit?: string | Record<string, string>;
  before?: (run: number) => Promise<void> | void;
  after?: (values: Record<string, number>, run: number) => Promise<void> | void;
}

/** A throwaway database on the local server, dropped when the benchmark ends. */
export interface BenchDatabase {
  /** Database name (`bench_<benchmark>_<label>_<random>`). */
  name: string;
  /** Connection string for it; hand it to peers (pg-boss, graphile-worker) too. */
  url: string;
  /** A connected `pg.Client`; the harness ends it at cleanup if you have not. */
  connect(): Promise<pg.Client>;
}

/** What a benchmark's `run` receives. */
export interface BenchContext {
  /** The benchmark's name. */
  readonly name: string;
  /** Default number of runs per measurement (3 unless `--runs` says otherwise). */
  readonly runs: number;
  /**
   * Times `fn` `runs` times with `performance.now()` and records the median rate
   * (`items / s`) with min, max and every run. Only `fn` is timed; `before`/`after` are not.
   * `run` is 1-based (1, 2, 3) in `fn`, `before` and `after`.
   */
  repeat(
    name: string,
    fn: (run: number) => Promise<RunResult>,
    options?: RepeatOptions,
  ): Promise<Figure>;
  /**
   * Runs `fn` `runs` times; each run returns named values (e.g. `{ p50, p99 }` in ms). Records
   * one figure per key, named `<name> <key>`, as the median over runs.
   */
  sample(
    name: string,
    fn: (run: number) => Promise<Record<string, number>>,
    options?: SampleOptions,
  ): Promise<Record<string, Figure>>;
  /** Records a single value. */
  figure(name: string, value: number, unit: string): Figure;
  /** Records `numerator / denominator` (figures or plain numbers). */
  ratio(name: string, numerator: Figure | number, denominator: Figure | number): Ratio;
  /** Records a target check; `met` honours `tolerance` (default 0). */
  target(
    name: string,
    value: Figure | Ratio | number,
    target: number,
    comparison: Comparison,
    options?: { tolerance?: number },
  ): Target;
  /** Adds a free-text note to the report (conditions, caveats). */
  note(text: string): void;
  /** Progress line on stderr (not part of the results). */
  log(text: string): void;
  /** Creates a fresh database on the local server; dropped at the end. */
  pg(label?: string): Promise<BenchDatabase>;
  /** Opens a file-backed PGlite in a fresh temp folder (default options, as perf-baselines). */
  pglite(label?: string): Promise<PGlite>;
  /** Registers cleanup to run at the end (last registered runs first), even on failure. */
  onCleanup(fn: () => Promise<void> | void): void;
}

/** What `defineBenchmark` takes. */
export interface BenchmarkDefinition {
  /** Must equal the file name under `src/benchmarks/`. */
  name: string;
  /** One line: what it measures. */
  description: string;
  run(ctx: BenchContext): Promise<void>;
}

/** A benchmark as the runner loads it (the default export of `benchmarks/<name>.js`). */
export interface Benchmark extends BenchmarkDefinition {
  readonly kind: 'vsa-benchmark';
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

/**
 * Declares a benchmark. Use as the default export of `src/benchmarks/<name>.ts`.
 * @example
 * export default defineBenchmark({
 *   name: 'publish',
 *   description: 'publishBatch vs raw 500-row INSERT',
 *   async run(ctx) {
 *     const raw = await rawMultiInsert(ctx);
 *     const mine = await ctx.repeat('publishBatch', async () => publishAll(), { unit: 'events/s' });
 *     ctx.target('publishBatch / 1b', ctx.ratio('publishBatch / 1b', mine, raw), 0.8, 'atLeast', { tolerance: 0.15 });
 *   },
 * });
 */
export function defineBenchmark(definition: BenchmarkDefinition): Benchmark {
  if (typeof definition?.name !== 'string' || !NAME_PATTERN.test(definition.name)) {
    throw new BenchError(
      'VSA_BENCH_INVALID_ARGUMENT',
      `defineBenchmark() needs a kebab-case name equal to its file name, got ${JSON.stringify(definition?.name)}`,
    );
  }
  if (typeof definition.run !== 'function') {
    throw new BenchError(
      'VSA_BENCH_INVALID_ARGUMENT',
      `defineBenchmark(${definition.name}) needs a run(ctx) function`,
    );
  }
  return { ...definition, description: definition.description ?? '', kind: 'vsa-benchmark' };
}

/** True when `value` is what `defineBenchmark` returns. */
export function isBenchmark(value: unknown): value is Benchmark {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Benchmark).kind === 'vsa-benchmark' &&
    typeof (value as Benchmark).name === 'string' &&
    typeof (value as Benchmark).run === 'function'
  );
}

/** Everything a context recorded, in the order it was recorded. */
export interface Recorded {
  figures: Figure[];
  ratios: Ratio[];
  targets: Target[];
  notes: string[];
}

/** A context plus what the runner needs: the recorded results and the cleanup. */
export interface HarnessContext extends BenchContext {
  recorded(): Recorded;
  /** Runs every cleanup (databases dropped, PGlite closed); never throws, returns failures. */
  cleanup(): Promise<Error[]>;
}

/** Options of {@link createBenchContext}. */
export interface BenchContextOptions {
  name: string;
  /** Default runs per measurement; 3. */
  runs?: number;
  /** Server to create throwaway databases on; default `DATABASE_URL` or the local server. */
  databaseUrl?: string;
  /** Where `ctx.log` lines go; default stderr. */
  log?: (line: string) => void;
}

/** Server used when `DATABASE_URL` is not set. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** The server URL benchmarks create their databases on. */
export function serverUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

function assertName(what: string, name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new BenchError('VSA_BENCH_INVALID_ARGUMENT', `${what} needs a non-empty name`);
  }
}

function assertRuns(runs: number): void {
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new BenchError(
      'VSA_BENCH_INVALID_ARGUMENT',
      `runs must be a positive integer, got ${runs}`,
    );
  }
}

function identifier(parts: string[]): string {
  const raw = parts
    .join('_')
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_');
  // Postgres identifiers are cut at 63 bytes; keep the random suffix.
  const suffix = randomBytes(4).toString('hex');
  return `${raw.slice(0, 63 - suffix.length - 1)}_${suffix}`;
}

/** Per-round ratios when both figures come from the same `ctx.sample` rounds, else undefined. */
function pairedRuns(a: Figure | number, b: Figure | number): number[] | undefined {
  if (typeof a === 'number' || typeof b === 'number') return undefined;
  if (a.rounds === undefined || a.rounds !== b.rounds) return undefined;
  if (a.runs === undefined || b.runs === undefined || a.runs.length !== b.runs.length)
    return undefined;
  const bRuns = b.runs;
  if (bRuns.some((v) => v === 0)) return undefined;
  return a.runs.map((v, i) => v / (bRuns[i] as number));
}

function warmups(name: string, warmup: number | undefined): number {
  const n = warmup ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new BenchError(
      'VSA_BENCH_INVALID_ARGUMENT',
      `"${name}": warmup must be a non-negative integer, got ${warmup}`,
    );
  }
  return n;
}

/** Creates the context a benchmark runs in. The runner calls it; tests may too. */
export function createBenchContext(options: BenchContextOptions): HarnessContext {
  assertName('createBenchContext()', options.name);
  const defaultRuns = options.runs ?? 3;
  assertRuns(defaultRuns);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const adminUrl = options.databaseUrl ?? serverUrl();
  const recorded: Recorded = { figures: [], ratios: [], targets: [], notes: [] };
  const cleanups: Array<() => Promise<void> | void> = [];
  const names = new Set<string>();
  let sampleCount = 0;

  const claim = (kind: string, name: string): void => {
    assertName(`ctx.${kind}()`, name);
    const key = `${kind}:${name}`;
    if (names.has(key)) {
      throw new BenchError(
        'VSA_BENCH_DUPLICATE_NAME',
        `${kind} "${name}" was recorded twice in benchmark ${options.name}; give each ${kind} a unique name`,
      );
    }
    names.add(key);
  };

  const addFigure = (name: string, values: number[], unit: string): Figure => {
    const { median, min, max } = summarize(values);
    const figure: Figure = { name, value: median, unit, min, max, runs: values };
    recorded.figures.push(figure);
    return figure;
  };

  const ctx: HarnessContext = {
    name: options.name,
    runs: defaultRuns,

    async repeat(name, fn, opts = {}) {
      claim('figure', name);
      const runs = opts.runs ?? defaultRuns;
      assertRuns(runs);
      const unit = opts.unit ?? 'ops/s';
      for (let w = warmups(name, opts.warmup); w > 0; w--) {
        await opts.before?.(0);
        const result = await fn(0);
        await opts.after?.(typeof result === 'number' ? result : result.items, 0);
        log(`  ${name} warm-up (not recorded)`);
      }
      const rates: number[] = [];
      for (let run = 1; run <= runs; run++) {
        await opts.before?.(run);
        const start = performance.now();
        const result = await fn(run);
        const elapsed = performance.now() - start;
        const items = typeof result === 'number' ? result : result.items;
        const ms = typeof result === 'number' ? elapsed : result.ms;
        if (!Number.isFinite(items) || items <= 0) {
          throw new BenchError(
            'VSA_BENCH_INVALID_ARGUMENT',
            `ctx.repeat("${name}") run ${run} returned ${items} items; return the number of items the run processed (> 0)`,
          );
        }
        await opts.after?.(items, run);
        const rate = perSecond(items, ms);
        rates.push(rate);
        log(
          `  ${name} run ${run}/${runs}: ${formatValue(rate)} ${unit} (${items} in ${(ms / 1000).toFixed(2)} s)`,
        );
      }
      return addFigure(name, rates, unit);
    },

    async sample(name, fn, opts = {}) {
      assertName('ctx.sample()', name);
      const roundsId = `${name}#${++sampleCount}`;
      const runs = opts.runs ?? defaultRuns;
      assertRuns(runs);
      for (let w = warmups(name, opts.warmup); w > 0; w--) {
        await opts.before?.(0);
        await opts.after?.(await fn(0), 0);
        log(`  ${name} warm-up (not recorded)`);
      }
      const perKey = new Map<string, number[]>();
      for (let run = 1; run <= runs; run++) {
        await opts.before?.(run);
        const values = await fn(run);
        await opts.after?.(values, run);
        const keys = Object.keys(values);
        if (keys.length === 0) {
          throw new BenchError(
            'VSA_BENCH_INVALID_ARGUMENT',
            `ctx.sample("${name}") run ${run} returned no values; return e.g. { p50, p99 }`,
          );
        }
        for (const key of keys) {
          const list = perKey.get(key) ?? [];
          list.push(values[key] as number);
          perKey.set(key, list);
        }
        log(
          `  ${name} run ${run}/${runs}: ${keys.map((k) => `${k} ${formatValue(values[k] as number)}`).join(', ')}`,
        );
      }
      const out: Record<string, Figure> = {};
      for (const [key, values] of perKey) {
        if (values.length !== runs) {
          throw new BenchError(
            'VSA_BENCH_INVALID_ARGUMENT',
            `ctx.sample("${name}"): key "${key}" is missing from some runs; return the same keys every run`,
          );
        }
        const unit = typeof opts.unit === 'string' ? opts.unit : (opts.unit?.[key] ?? 'ms');
        const figureName = `${name} ${key}`;
        claim('figure', figureName);
        const figure = addFigure(figureName, values, unit);
        figure.rounds = roundsId;
        out[key] = figure;
      }
      return out;
    },

    figure(name, value, unit) {
      claim('figure', name);
      if (!Number.isFinite(value)) {
        throw new BenchError('VSA_BENCH_INVALID_ARGUMENT', `ctx.figure("${name}") got ${value}`);
      }
      const figure: Figure = { name, value, unit };
      recorded.figures.push(figure);
      return figure;
    },

    ratio(name, numerator, denominator) {
      claim('ratio', name);
      const top = typeof numerator === 'number' ? numerator : numerator.value;
      const bottom = typeof denominator === 'number' ? denominator : denominator.value;
      if (!Number.isFinite(top) || !Number.isFinite(bottom) || bottom === 0) {
        throw new BenchError(
          'VSA_BENCH_INVALID_ARGUMENT',
          `ctx.ratio("${name}") needs finite values and a non-zero denominator, got ${top} / ${bottom}`,
        );
      }
      const perRound = pairedRuns(numerator, denominator);
      const ratio: Ratio = {
        name,
        // Paired rounds: a drift that slowed one round hits both sides of that round's ratio,
        // so the median of per-round ratios is the fair figure (not median / median).
        value: perRound === undefined ? top / bottom : summarize(perRound).median,
        numerator: typeof numerator === 'number' ? 'value' : numerator.name,
        denominator: typeof denominator === 'number' ? 'value' : denominator.name,
        ...(perRound === undefined ? {} : { perRound }),
      };
      recorded.ratios.push(ratio);
      return ratio;
    },

    target(name, value, target, comparison, opts = {}) {
      claim('target', name);
      const actual = typeof value === 'number' ? value : value.value;
      const tolerance = opts.tolerance ?? 0;
      if (comparison !== 'atLeast' && comparison !== 'atMost') {
        throw new BenchError(
          'VSA_BENCH_INVALID_ARGUMENT',
          `ctx.target("${name}") comparison must be 'atLeast' or 'atMost', got ${String(comparison)}`,
        );
      }
      if (!Number.isFinite(actual) || !Number.isFinite(target)) {
        throw new BenchError(
          'VSA_BENCH_INVALID_ARGUMENT',
          `ctx.target("${name}") needs finite numbers, got ${actual} vs ${target}`,
        );
      }
      if (!(tolerance >= 0 && tolerance < 1)) {
        throw new BenchError(
          'VSA_BENCH_INVALID_ARGUMENT',
          `ctx.target("${name}") tolerance is a fraction in [0, 1), got ${tolerance}`,
        );
      }
      const met =
        comparison === 'atLeast'
          ? actual >= target * (1 - tolerance)
          : actual <= target * (1 + tolerance);
      const result: Target = { name, value: actual, target, comparison, tolerance, met };
      recorded.targets.push(result);
      return result;
    },

    note(text) {
      recorded.notes.push(text);
    },

    log(text) {
      log(text);
    },

    async pg(label = 'db') {
      const name = identifier(['bench', options.name, label]);
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      const clients = new Set<pg.Client>();
      // Registered before any client, so it runs after the clients are ended.
      cleanups.push(async () => {
        const dropper = new pg.Client({ connectionString: adminUrl });
        await dropper.connect();
        try {
          await dropper.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        } finally {
          await dropper.end();
        }
      });
      cleanups.push(async () => {
        await Promise.allSettled([...clients].map((client) => client.end()));
      });
      return {
        name,
        url: url.toString(),
        async connect() {
          const client = new pg.Client({ connectionString: url.toString() });
          // A dropped database kills its sessions; keep that from crashing the process.
          client.on('error', () => {});
          await client.connect();
          clients.add(client);
          client.once('end', () => clients.delete(client));
          return client;
        },
      };
    },

    async pglite(label = 'pglite') {
      const dir = await mkdtemp(join(tmpdir(), `vsa-bench-${options.name}-${label}-`));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const db = new PGlite(dir);
      await db.waitReady;
      cleanups.push(async () => {
        if (!db.closed) await db.close();
      });
      return db;
    },

    onCleanup(fn) {
      cleanups.push(fn);
    },

    recorded() {
      return recorded;
    },

    async cleanup() {
      const failures: Error[] = [];
      while (cleanups.length > 0) {
        const fn = cleanups.pop() as () => Promise<void> | void;
        try {
          await fn();
        } catch (error) {
          failures.push(error instanceof Error ? error : new Error(String(error)));
        }
      }
      return failures;
    },
  };
  return ctx;
}
