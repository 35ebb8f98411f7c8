import type { BenchDatabase } from '../harness.js';

/** Options every raw and peer measurement takes. */
export interface MeasureOptions {
  /** Figure name; defaults to the perf-baselines id and a short description. */
  label?: string;
  /** Runs; default `ctx.runs`. */
  runs?: number;
  /** Untimed, unrecorded runs first (see `RepeatOptions.warmup`); default 0. */
  warmup?: number;
  /** Reuse this database instead of creating a fresh one (tables are created if missing). */
  db?: BenchDatabase;
}

/** The `runs` and `warmup` of `options` that are set, to spread into `ctx.repeat` options. */
export function runCounts(options: Pick<MeasureOptions, 'runs' | 'warmup'>): {
  runs?: number;
  warmup?: number;
} {
  return {
    ...(options.runs === undefined ? {} : { runs: options.runs }),
    ...(options.warmup === undefined ? {} : { warmup: options.warmup }),
  };
}
