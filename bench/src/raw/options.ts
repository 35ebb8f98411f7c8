import type { BenchDatabase } from '../harness.js';

/** Options every raw and peer measurement takes. */
export interface MeasureOptions {
  /** Figure name; defaults to the perf-baselines id and a short description. */
  label?: string;
  /** Runs; default `ctx.runs`. */
  runs?: number;
  /** Reuse this database instead of creating a fresh one (tables are created if missing). */
  db?: BenchDatabase;
}
