import type { WakeSignal } from './state.js';

/**
 * Wakes the run loop: now if it waits, else its next wait returns at once. With `partitions`,
 * only those have new events (the others stay idle); without, every partition may. @internal
 */
export function wake(signal: WakeSignal, partitions?: Iterable<number>): void {
  if (partitions === undefined) signal.all = true;
  else for (const partition of partitions) signal.partitions.add(partition);
  signal.woken = true;
  const waiter = signal.waiter;
  signal.waiter = null;
  waiter?.();
}

/**
 * What the wakes since the last call named: `'all'`, or the partitions. Resets them. @internal
 */
export function takeWoken(signal: WakeSignal): 'all' | ReadonlySet<number> {
  if (signal.all) {
    signal.all = false;
    signal.partitions.clear();
    return 'all';
  }
  const woken = new Set(signal.partitions);
  signal.partitions.clear();
  return woken;
}

/** Waits `ms` or until `wake(signal)`, whichever comes first (a timeout wakes every partition). */
export function waitForWake(signal: WakeSignal, ms: number): Promise<void> {
  if (signal.woken) {
    signal.woken = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => {
        signal.waiter = null;
        // The poll backstop: whatever a lost notification would have said, look everywhere.
        signal.all = true;
        resolve();
      },
      Math.max(1, ms),
    );
    signal.waiter = () => {
      clearTimeout(timer);
      signal.woken = false;
      resolve();
    };
  });
}
