import type { WakeSignal } from './state.js';

/** Wakes the run loop: now if it waits, else its next wait returns at once. @internal */
export function wake(signal: WakeSignal): void {
  signal.woken = true;
  const waiter = signal.waiter;
  signal.waiter = null;
  waiter?.();
}

/** Waits `ms` or until `wake(signal)`, whichever comes first. @internal */
export function waitForWake(signal: WakeSignal, ms: number): Promise<void> {
  if (signal.woken) {
    signal.woken = false;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => {
        signal.waiter = null;
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
