/**
 * Claim latencies of the last `windowS` seconds in bounded memory: one fixed array of
 * log-spaced buckets (5 % wide) per second, in a ring. Memory does not grow with the rate.
 */
const GROWTH = 1.05;
const BUCKETS = 400; // 1.05^400 ms is far beyond any latency worth telling apart

/** A rolling latency histogram (see the module comment). */
export interface RollingHistogram {
  record(ms: number, nowMs?: number): void;
  /** The p-th percentile (0..100) in ms over the window, or null when empty. */
  percentile(p: number, nowMs?: number): number | null;
}

function bucketOf(ms: number): number {
  if (ms <= 1) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms) / Math.log(GROWTH)));
}

function upperOf(bucket: number): number {
  return bucket === 0 ? 1 : GROWTH ** bucket;
}

/** Creates a {@link RollingHistogram} over the last `windowS` seconds (default 30). */
export function createRollingHistogram(windowS = 30): RollingHistogram {
  const slots = Array.from({ length: windowS }, () => new Uint32Array(BUCKETS));
  const slotSecond = new Array<number>(windowS).fill(-1);
  const slotFor = (second: number): Uint32Array => {
    const i = second % windowS;
    const slot = slots[i] as Uint32Array;
    if (slotSecond[i] !== second) {
      slot.fill(0);
      slotSecond[i] = second;
    }
    return slot;
  };
  return {
    record(ms, nowMs = Date.now()) {
      const slot = slotFor(Math.floor(nowMs / 1000));
      const b = bucketOf(ms);
      slot[b] = (slot[b] ?? 0) + 1;
    },
    percentile(p, nowMs = Date.now()) {
      const now = Math.floor(nowMs / 1000);
      const merged = new Float64Array(BUCKETS);
      let total = 0;
      for (let i = 0; i < windowS; i++) {
        const second = slotSecond[i] ?? -1;
        if (second < 0 || now - second >= windowS) continue;
        const slot = slots[i] as Uint32Array;
        for (let b = 0; b < BUCKETS; b++) {
          const n = slot[b] ?? 0;
          merged[b] = (merged[b] ?? 0) + n;
          total += n;
        }
      }
      if (total === 0) return null;
      const rank = Math.ceil((p / 100) * total);
      let seen = 0;
      for (let b = 0; b < BUCKETS; b++) {
        seen += merged[b] ?? 0;
        if (seen >= rank) return upperOf(b);
      }
      return upperOf(BUCKETS - 1);
    },
  };
}
