import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `everyMs` until it returns true; throws with `what` after `timeoutMs`.
 * Used to stop a timer when a peer's table shows all jobs done (the poll is a few ms of
 * granularity on runs of about a second).
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  { everyMs = 5, timeoutMs = 120_000 }: { everyMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Error(`${what}: not done after ${timeoutMs} ms`);
    }
    await sleep(everyMs);
  }
}
