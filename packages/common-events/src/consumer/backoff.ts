// The policy, its defaults and its arithmetic are common-db's (one backoff for db and events);
// this module only checks a policy with this package's error code and messages.
import {
  type BackoffPolicy,
  DEFAULT_BACKOFF,
  delayFor,
  type ResolvedBackoff,
} from '@vsa/common-db/backoff';
import { InvalidArgumentError } from '../errors.js';

export { type BackoffPolicy, DEFAULT_BACKOFF, delayFor, type ResolvedBackoff };

/** Fills in and checks a backoff policy; throws `VSA_EVENTS_INVALID_ARGUMENT`. */
export function resolveBackoff(policy: BackoffPolicy = {}): ResolvedBackoff {
  if (typeof policy !== 'object' || policy === null) {
    throw new InvalidArgumentError(
      'backoff must be an object { initialMs, maxMs, factor, jitter }.',
    );
  }
  // A field given as undefined keeps its default (as an omitted one does).
  const given = Object.fromEntries(
    Object.entries(policy).filter(([, value]) => value !== undefined),
  ) as BackoffPolicy;
  const resolved = { ...DEFAULT_BACKOFF, ...given };
  const { initialMs, maxMs, factor, jitter } = resolved;
  if (!Number.isFinite(initialMs) || initialMs < 0) {
    throw new InvalidArgumentError(`backoff.initialMs must be >= 0 ms, got ${String(initialMs)}.`);
  }
  if (!Number.isFinite(maxMs) || maxMs < initialMs) {
    throw new InvalidArgumentError(`backoff.maxMs must be >= initialMs, got ${String(maxMs)}.`);
  }
  if (!Number.isFinite(factor) || factor < 1) {
    throw new InvalidArgumentError(`backoff.factor must be >= 1, got ${String(factor)}.`);
  }
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) {
    throw new InvalidArgumentError(`backoff.jitter must be within 0..1, got ${String(jitter)}.`);
  }
  return resolved;
}

/**
 * Delay in ms before the next attempt after `failures` failed attempts (1 = the first
 * failure; 0 or less counts as the first). `policy` is checked and completed as
 * {@link resolveBackoff} does; `random` (default `Math.random`, injectable for tests) must
 * return a number in [0, 1]. Throws `VSA_EVENTS_INVALID_ARGUMENT` naming the bad argument.
 *
 * @example
 * retryDelay({ initialMs: 100, jitter: 0 }, 3); // 400
 */
export function retryDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  const p = resolveBackoff(policy);
  if (typeof failures !== 'number' || !Number.isSafeInteger(failures)) {
    throw new InvalidArgumentError(
      `retryDelay: failures must be an integer (failed attempts so far), got ${String(failures)}.`,
    );
  }
  if (typeof random !== 'function') {
    throw new InvalidArgumentError('retryDelay: random must be a function returning [0, 1].');
  }
  const r = random();
  if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
    throw new InvalidArgumentError(
      `retryDelay: random() must return a number in [0, 1], got ${String(r)}.`,
    );
  }
  return delayFor(p, failures, r);
}
