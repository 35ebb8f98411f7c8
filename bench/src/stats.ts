/** Summary of repeated runs: the median is the headline, min and max show the spread. */
export interface Summary {
  /** Median of the runs (mean of the two middle runs for an even count). */
  median: number;
  min: number;
  max: number;
}

function assertSamples(values: readonly number[], what: string): void {
  if (values.length === 0) {
    throw new RangeError(`${what} needs at least one value`);
  }
  for (const value of values) {
    if (!Number.isFinite(value)) {
      throw new RangeError(`${what} got a non-finite value (${value})`);
    }
  }
}

/** Median, min and max of a non-empty list of finite numbers. */
export function summarize(values: readonly number[]): Summary {
  assertSamples(values, 'summarize()');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, min: sorted[0] as number, max: sorted[sorted.length - 1] as number };
}

/**
 * Percentile by the nearest-rank method (p in 0..100): the smallest sample that at least
 * p% of the samples are less than or equal to. Latency figures use it for p50/p99.
 */
export function percentile(values: readonly number[], p: number): number {
  assertSamples(values, 'percentile()');
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile() takes p between 0 and 100, got ${p}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** Rate per second of `items` done in `ms` milliseconds. */
export function perSecond(items: number, ms: number): number {
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new RangeError(`perSecond() needs a positive duration, got ${ms} ms`);
  }
  return (items * 1000) / ms;
}
