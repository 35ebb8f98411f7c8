import type { Transaction } from '@vsa/common-db';
import type { StoredEvent } from '../../envelope.js';
import { decodeCursor, type Position } from '../../read/cursor.js';
import { advance, commitLocal, lock } from './checkpoints.js';
import { invoke } from './invoke.js';
import { readPage } from './read-page.js';
import { atHead, gate, positionOf, recordFailure, recordStart } from './retries.js';
import { type ConsumerRuntime, type PartitionState, samePos } from './state.js';

/** A handler failure inside a batch transaction: rolls the batch back, then is recorded. */
class BatchFailure extends Error {
  constructor(
    readonly index: number,
    readonly event: StoredEvent,
    readonly error: unknown,
  ) {
    super('handler failed');
  }
}

/** After an unclean takeover: the head event alone, its start counted outside the batch. */
async function stepGuarded(rt: ConsumerRuntime, ps: PartitionState): Promise<boolean> {
  // The start must be counted outside the batch transaction, or a crash would erase it.
  const head = (await readPage(rt, rt.q, ps, 1)).events[0];
  if (head === undefined) {
    ps.guardedRemaining = 0;
    return true;
  }
  const verdict = gate(rt, ps, head);
  if (verdict !== 'run') return atHead(rt, ps, head, verdict);
  const info = await recordStart(rt, ps, head);
  try {
    await rt.db.transaction(async (tx) => {
      await lock(rt, tx, ps);
      try {
        await invoke(rt, head, ps, info.attempts, tx);
      } catch (error) {
        throw new BatchFailure(0, head, error);
      }
      await advance(rt, tx, ps, positionOf(head), [head.seq]);
    });
  } catch (error) {
    if (!(error instanceof BatchFailure)) throw error;
    const failure = {
      event: head,
      error: error.error,
      progress: ps.pos,
      clear: [],
      startCounted: true,
    };
    await recordFailure(rt, ps, failure);
    return true;
  }
  commitLocal(ps, positionOf(head), [head.seq]);
  ps.guardedRemaining--;
  return true;
}

/** What one batch transaction did. */
type BatchOutcome =
  | {
      readonly kind: 'done';
      readonly to: Position;
      readonly clear: number[];
      readonly more: boolean;
    }
  | { readonly kind: 'head'; readonly event: StoredEvent; readonly verdict: 'wait' | 'exhaust' };

/** Handles one page in `tx` and moves the position with it; throws BatchFailure. */
async function runBatch(
  rt: ConsumerRuntime,
  tx: Transaction<unknown>,
  ps: PartitionState,
  limit: number,
): Promise<BatchOutcome> {
  await lock(rt, tx, ps);
  const page = await readPage(rt, tx, ps, limit);
  const { events } = page;
  let done = ps.pos;
  const clear: number[] = [];
  let i = 0;
  for (; i < events.length; i++) {
    const event = events[i] as StoredEvent;
    const verdict = gate(rt, ps, event);
    if (verdict !== 'run') {
      if (i === 0) return { kind: 'head', event, verdict };
      break;
    }
    const info = ps.attempts.get(event.seq);
    try {
      await invoke(rt, event, ps, (info?.attempts ?? 0) + 1, tx);
    } catch (error) {
      throw new BatchFailure(i, event, error);
    }
    if (info !== undefined) clear.push(event.seq);
    done = positionOf(event);
  }
  const to = i === events.length ? decodeCursor(page.nextCursor) : done;
  if (!samePos(to, ps.pos)) await advance(rt, tx, ps, to, clear);
  return { kind: 'done', to, clear, more: i < events.length || events.length === limit };
}

/**
 * One batch of a transactional consumer: handler writes and position commit together.
 * Returns whether more work is likely waiting. @internal
 */
export async function stepTransactional(rt: ConsumerRuntime, ps: PartitionState): Promise<boolean> {
  if (ps.guardedRemaining > 0) return stepGuarded(rt, ps);
  const limit = ps.limitNext ?? rt.options.batchSize;
  let outcome: BatchOutcome;
  try {
    outcome = await rt.db.transaction((tx) => runBatch(rt, tx, ps, limit));
  } catch (error) {
    if (!(error instanceof BatchFailure)) throw error;
    // Everything before the failing event was rolled back with it: redo that prefix as a
    // batch of its own, then the failing event at the head after its backoff.
    ps.limitNext = error.index > 0 ? error.index : null;
    const failure = {
      event: error.event,
      error: error.error,
      progress: ps.pos,
      clear: [],
      startCounted: false,
    };
    await recordFailure(rt, ps, failure);
    return true;
  }
  ps.limitNext = null;
  if (outcome.kind === 'head') return atHead(rt, ps, outcome.event, outcome.verdict);
  commitLocal(ps, outcome.to, outcome.clear);
  return outcome.more;
}
