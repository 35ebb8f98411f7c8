import type { StoredEvent } from '../../envelope.js';
import { decodeCursor, type Position } from '../../read/cursor.js';
import type { EventPage } from '../../read/get-events-by-channel.js';
import { flush, resync, startCommit } from './checkpoints.js';
import { invoke } from './invoke.js';
import { readPage } from './read-page.js';
import { atHead, gate, positionOf, recordFailure, recordStart } from './retries.js';
import { type AttemptInfo, type ConsumerRuntime, type PartitionState, samePos } from './state.js';

/** The page to handle: the prefetched one when it starts here, else a fresh read. */
async function nextPage(
  rt: ConsumerRuntime,
  ps: PartitionState,
  limit: number,
  guarded: boolean,
): Promise<EventPage> {
  const prefetched = ps.prefetch;
  ps.prefetch = null;
  const page =
    prefetched !== null && samePos(prefetched.from, ps.pos) && !guarded
      ? await prefetched.page
      : await readPage(rt, rt.q, ps, limit);
  if (!guarded && page.events.length === limit) {
    // A full page: more is likely waiting. Read it while this one is handled and committed
    // (used only if this step ends exactly at the page's end).
    const from = decodeCursor(page.nextCursor);
    const next = readPage(rt, rt.q, ps, limit, from);
    next.catch(() => {});
    ps.prefetch = { from, page: next };
  }
  return page;
}

/** One batch of a plain consumer. Returns whether more work is likely waiting. @internal */
export async function stepPlain(rt: ConsumerRuntime, ps: PartitionState): Promise<boolean> {
  if (ps.resync) await resync(rt, ps);
  const guarded = ps.guardedRemaining > 0;
  const limit = guarded ? 1 : rt.options.batchSize;
  if (guarded) await flush(rt, ps);
  const page = await nextPage(rt, ps, limit, guarded);
  const { events } = page;
  // Position after the last handled event: decoded only when the batch stops early.
  const handledUpTo = (n: number): Position =>
    n === 0 ? ps.pos : positionOf(events[n - 1] as StoredEvent);
  const clear: number[] = [];
  const retrying = ps.attempts.size > 0;
  let i = 0;
  for (; i < events.length; i++) {
    const event = events[i] as StoredEvent;
    const verdict = retrying ? gate(rt, ps, event) : 'run';
    if (verdict !== 'run') {
      if (i === 0) {
        await flush(rt, ps);
        return atHead(rt, ps, event, verdict);
      }
      break;
    }
    let info: AttemptInfo | undefined = retrying ? ps.attempts.get(event.seq) : undefined;
    if (guarded) info = await recordStart(rt, ps, event);
    const attempt = guarded ? (info as AttemptInfo).attempts : (info?.attempts ?? 0) + 1;
    try {
      const running = invoke(rt, event, ps, attempt, undefined);
      if (running !== undefined) await running;
    } catch (error) {
      await flush(rt, ps);
      const progress = handledUpTo(i);
      await recordFailure(rt, ps, { event, error, progress, clear, startCounted: guarded });
      return true;
    }
    if (info !== undefined) clear.push(event.seq);
  }
  const to = i === events.length ? decodeCursor(page.nextCursor) : handledUpTo(i);
  if (!samePos(to, ps.pos)) {
    await flush(rt, ps);
    startCommit(rt, ps, to, clear);
  }
  if (guarded) ps.guardedRemaining = Math.max(0, ps.guardedRemaining - Math.max(1, i));
  return i < events.length || events.length === limit;
}
