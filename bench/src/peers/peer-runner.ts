import type { BenchContext, Figure } from '../harness.js';
import { type MeasureOptions, runCounts } from '../raw/options.js';

/**
 * One peer measurement, one run at a time, so a benchmark can interleave it with its own runs
 * (`ctx.sample` rounds) and machine drift hits both alike.
 */
export interface PeerRunner {
  /** Figure label, e.g. `3 pg-boss send (1000/call)`. */
  readonly label: string;
  /** Jobs per run. */
  readonly jobs: number;
  /** One run: untimed set-up, the timed work, untimed checks. Returns the timed milliseconds. */
  run(): Promise<number>;
  /** Ends the admin connection (each run stops its own peer instance before it returns). */
  close(): Promise<void>;
}

/** Times `runner` `options.runs` times (after `options.warmup` untimed runs) as one figure. */
export async function measurePeer(
  ctx: BenchContext,
  runner: PeerRunner,
  options: MeasureOptions,
): Promise<Figure> {
  try {
    return await ctx.repeat(
      runner.label,
      async () => ({ items: runner.jobs, ms: await runner.run() }),
      { unit: 'jobs/s', ...runCounts(options) },
    );
  } finally {
    await runner.close();
  }
}
