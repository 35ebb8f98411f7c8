/** Who ran a handler: a process id or any worker label. */
export type WorkerId = number | string;

/** One handler call as recorded by a test: which worker saw which value of which key. */
export interface Delivery {
  /** Optional tag; an entry without `type` is a delivery. */
  readonly type?: 'delivery';
  readonly key: string;
  /** Per-key publish order, 1-based. */
  readonly n: number;
  /** Process (or worker) that ran the handler. */
  readonly worker: WorkerId;
}

/**
 * `worker` was killed at this point of the history. Record it only once nothing the worker
 * started can still land after it (e.g. after its database sessions ended or were fenced).
 */
export interface Kill {
  readonly type: 'kill';
  readonly worker: WorkerId;
}

/** The group's position was committed past value `n` of `key` (and so past every earlier one). */
export interface Ack {
  readonly type: 'ack';
  readonly key: string;
  readonly n: number;
}

/** One entry of a history, in the order things happened. */
export type HistoryEntry = Delivery | Kill | Ack;

/** What {@link checkHistory} found; `ok` when every list is empty. */
export interface HistoryReport {
  readonly ok: boolean;
  /** `key:n` published but never delivered. */
  readonly missing: string[];
  /**
   * `key:n` delivered out of sequence: after a skipped value (gap), or going back (a replay)
   * although the worker that delivered the key's previous value was not killed in between.
   */
  readonly outOfOrder: string[];
  /** `key:n` delivered again although its previous deliverer was not killed in between. */
  readonly unexplainedDuplicates: string[];
  /** `key:n` where a replay restarted after the first unacknowledged value (skipping it). */
  readonly lateReplays: string[];
  /** `key:n` acknowledged before it was ever delivered. */
  readonly acknowledgedUndelivered: string[];
  /** `key:n` delivered by a worker after its kill. */
  readonly deliveredAfterKill: string[];
  /** Every repeated delivery, explained or not. */
  readonly duplicates: number;
  /** Times a key went back to an earlier value (each replay counted once per key). */
  readonly replays: number;
  /** Whether the history had `ack` entries, so replay starts were checked against them. */
  readonly acksChecked: boolean;
}

interface KeyState {
  /** Value delivered last, its worker and history index. */
  last: number;
  lastWorker: WorkerId | undefined;
  lastIndex: number;
  /** Highest value acknowledged so far. */
  acked: number;
  /** Per value: worker and history index of its latest delivery. */
  readonly previous: Map<number, { readonly worker: WorkerId; readonly index: number }>;
}

/**
 * Jepsen-style check of an at-least-once, per-key-ordered history (deliveries, kills and
 * acknowledgements, in the order they happened). Per key:
 *
 * - each delivery is the value after the one delivered last (no gap, no inversion), unless it
 *   starts a **replay**: it goes back to an earlier value, which is allowed only when the worker
 *   that delivered the key's last value was killed after that delivery; when the history has
 *   `ack` entries, a replay must also restart at or before the first unacknowledged value. A
 *   replay then proceeds one value at a time like any delivery, so it cannot skip or reorder;
 * - a value delivered again is a duplicate, explained only when the worker of its previous
 *   delivery was killed between that delivery and this one (a kill after it explains nothing);
 * - nothing is acknowledged before it was delivered, and a killed worker delivers nothing more;
 * - at the end every published value was delivered.
 *
 * @param history - deliveries, kills and acks in the order they happened.
 * @param published - key → number of values published (1..count).
 * @example
 * const report = checkHistory(
 *   [{ key: 'a', n: 1, worker: 1 }, { type: 'kill', worker: 1 }, { key: 'a', n: 1, worker: 2 }],
 *   new Map([['a', 1]]),
 * );
 * // report.ok === true, report.duplicates === 1
 */
export function checkHistory(
  history: readonly HistoryEntry[],
  published: ReadonlyMap<string, number>,
): HistoryReport {
  const acksChecked = history.some((e) => e.type === 'ack');
  const kills = new Map<WorkerId, number[]>();
  history.forEach((e, index) => {
    if (e.type !== 'kill') return;
    const list = kills.get(e.worker);
    if (list === undefined) kills.set(e.worker, [index]);
    else list.push(index);
  });
  const killedBetween = (worker: WorkerId, after: number, before: number): boolean =>
    (kills.get(worker) ?? []).some((k) => k > after && k < before);

  const keys = new Map<string, KeyState>();
  const stateOf = (key: string): KeyState => {
    let st = keys.get(key);
    if (st === undefined) {
      st = { last: 0, lastWorker: undefined, lastIndex: -1, acked: 0, previous: new Map() };
      keys.set(key, st);
    }
    return st;
  };
  const outOfOrder: string[] = [];
  const unexplainedDuplicates: string[] = [];
  const lateReplays: string[] = [];
  const acknowledgedUndelivered: string[] = [];
  const deliveredAfterKill: string[] = [];
  let duplicates = 0;
  let replays = 0;

  history.forEach((e, index) => {
    if (e.type === 'kill') return;
    const st = stateOf(e.key);
    if (e.type === 'ack') {
      for (let n = st.acked + 1; n <= e.n; n++) {
        if (!st.previous.has(n)) acknowledgedUndelivered.push(`${e.key}:${n}`);
      }
      st.acked = Math.max(st.acked, e.n);
      return;
    }
    const id = `${e.key}:${e.n}`;
    if ((kills.get(e.worker) ?? []).some((k) => k < index)) deliveredAfterKill.push(id);
    if (e.n > st.last + 1) {
      outOfOrder.push(id);
    } else if (e.n <= st.last) {
      replays++;
      const interrupted =
        st.lastWorker !== undefined && killedBetween(st.lastWorker, st.lastIndex, index);
      if (!interrupted) outOfOrder.push(id);
      else if (acksChecked && e.n > st.acked + 1) lateReplays.push(id);
    }
    const previous = st.previous.get(e.n);
    if (previous !== undefined) {
      duplicates++;
      if (!killedBetween(previous.worker, previous.index, index)) unexplainedDuplicates.push(id);
    }
    st.previous.set(e.n, { worker: e.worker, index });
    st.last = e.n;
    st.lastWorker = e.worker;
    st.lastIndex = index;
  });

  const missing: string[] = [];
  for (const [key, count] of published) {
    const delivered = keys.get(key)?.previous;
    for (let n = 1; n <= count; n++) if (delivered?.has(n) !== true) missing.push(`${key}:${n}`);
  }
  return {
    ok:
      missing.length === 0 &&
      outOfOrder.length === 0 &&
      unexplainedDuplicates.length === 0 &&
      lateReplays.length === 0 &&
      acknowledgedUndelivered.length === 0 &&
      deliveredAfterKill.length === 0,
    missing,
    outOfOrder,
    unexplainedDuplicates,
    lateReplays,
    acknowledgedUndelivered,
    deliveredAfterKill,
    duplicates,
    replays,
    acksChecked,
  };
}
