import { InvalidArgumentError } from '../errors.js';

/** Retry delays of a consumer group: exponential growth with jitter, capped. */
export interface BackoffPolicy {
  /** Delay before the second attempt in ms (default 100). */
  readonly initialMs?: number;
  /** Upper bound of one delay in ms (default 30,000). */
  readonly maxMs?: number;
  /** Growth per attempt (default 2). */
  readonly factor?: number;
  /**
   * Fraction of the delay that is random (default 0.5): `delay * (1 - jitter + random * jitter)`.
   * 0 gives exact delays, 1 is "full jitter".
   */
  readonly jitter?: number;
}

/** A validated {@link BackoffPolicy} with every field set. */
export type ResolvedBackoff = Required<BackoffPolicy>;

/** The defaults of {@link BackoffPolicy}. */
export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({
  initialMs: 100,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
});

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

/**
 * {@link retryDelay} without the checks, for a policy already resolved (`subscribe` resolves
 * it once) and `random` already drawn in [0, 1]. @internal
 */
export function delayFor(policy: ResolvedBackoff, failures: number, random: number): number {
  const exponent = Math.max(0, failures - 1);
  // factor ** exponent overflows to Infinity for huge counts: min() caps it at maxMs, and a
  // zero initialMs stays 0 (0 * Infinity would be NaN).
  const base =
    policy.initialMs === 0
      ? 0
      : Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent);
  return Math.round(base * (1 - policy.jitter + random * policy.jitter));
}
