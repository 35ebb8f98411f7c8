import type { ConsumerStatusView } from './consumer-status.js';

/** One sample of a group's lag. */
export interface LagSample {
  /** Epoch ms of the bucket's last status read. */
  readonly at: number;
  readonly lagEvents: number;
  readonly lagSeconds: number;
}

/** Lag of each consumer group (`group/channel`) over the last minutes, for sparklines. */
export interface LagHistory {
  /** Records a status read; reads inside one bucket overwrite its sample. */
  record(view: ConsumerStatusView, at: number): void;
  /** Samples per `group/channel`, oldest first. */
  series(): Record<string, LagSample[]>;
  readonly bucketMs: number;
}

/**
 * In-memory lag samples fed by the status reads the API makes anyway (at most one per second,
 * see cachedConsumerStatus): the history costs no query of its own, and every tab and reload
 * sees the same series. It covers the time someone (a tab, a metrics scrape) read the status.
 */
export function createLagHistory(bucketMs = 5000, keepMs = 10 * 60_000): LagHistory {
  const series = new Map<string, LagSample[]>();
  return {
    bucketMs,
    record(view, at) {
      const bucket = Math.floor(at / bucketMs);
      const seen = new Set<string>();
      for (const group of view.groups) {
        const id = `${group.group}/${group.channel}`;
        seen.add(id);
        const lagSeconds = Math.max(0, ...group.partitionStatus.map((p) => p.lagSeconds));
        const sample = { at, lagEvents: group.lagEvents, lagSeconds };
        const samples = series.get(id) ?? [];
        const last = samples.at(-1);
        if (last !== undefined && Math.floor(last.at / bucketMs) === bucket) samples.pop();
        samples.push(sample);
        while (samples.length > 0 && (samples[0] as LagSample).at < at - keepMs) samples.shift();
        series.set(id, samples);
      }
      // A group that disappeared (deleted, renamed) stops being reported.
      for (const id of series.keys()) if (!seen.has(id)) series.delete(id);
    },
    series: () => Object.fromEntries([...series].map(([id, samples]) => [id, [...samples]])),
  };
}
