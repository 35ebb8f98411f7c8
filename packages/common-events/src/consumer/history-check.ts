/** One handler call as recorded by a test: which process saw which value of which key. */
export interface Delivery {
  readonly key: string;
  /** Per-key publish order, 1-based. */
  readonly n: number;
  /** Process (or worker) that ran the handler. */
  readonly worker: number | string;
}

/** What {@link checkHistory} found; `ok` when every list is empty. */
export interface HistoryReport {
  readonly ok: boolean;
  /** `key:n` published but never delivered. */
  readonly missing: string[];
  /** `key:n` delivered before an earlier value of its key was (a gap or an inversion). */
  readonly outOfOrder: string[];
  /** `key:n` delivered again although its first delivery's worker did not crash. */
  readonly unexplainedDuplicates: string[];
  /** Every repeated delivery, explained or not. */
  readonly duplicates: number;
}

/**
 * Jepsen-style check of an at-least-once, per-key-ordered history. Walks `deliveries` in the
 * order they happened: per key, each new value must be exactly the next one (no gap, no
 * inversion); a value seen before is a redelivery, allowed only when the worker that first
 * delivered it is in `crashed` (it died before committing its position). At the end every key
 * must have reached its published count.
 *
 * @param published - key → number of values published (1..count).
 */
export function checkHistory(
  deliveries: readonly Delivery[],
  published: ReadonlyMap<string, number>,
  crashed: ReadonlySet<number | string>,
): HistoryReport {
  const high = new Map<string, number>();
  const firstBy = new Map<string, number | string>();
  const outOfOrder: string[] = [];
  const unexplainedDuplicates: string[] = [];
  let duplicates = 0;
  for (const d of deliveries) {
    const id = `${d.key}:${d.n}`;
    const top = high.get(d.key) ?? 0;
    if (d.n === top + 1) {
      high.set(d.key, d.n);
      firstBy.set(id, d.worker);
    } else if (d.n <= top) {
      duplicates++;
      const first = firstBy.get(id);
      if (first === undefined || !crashed.has(first)) unexplainedDuplicates.push(id);
    } else {
      outOfOrder.push(id);
    }
  }
  const missing: string[] = [];
  for (const [key, count] of published) {
    for (let n = (high.get(key) ?? 0) + 1; n <= count; n++) missing.push(`${key}:${n}`);
  }
  return {
    ok: missing.length === 0 && outOfOrder.length === 0 && unexplainedDuplicates.length === 0,
    missing,
    outOfOrder,
    unexplainedDuplicates,
    duplicates,
  };
}
