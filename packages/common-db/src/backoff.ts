import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import { DB_INVALID_ARGUMENT, invalidArgument } from './errors.js';

// One backoff policy for every retry loop of the vsa packages (transaction retries, reconnects,
// consumer redelivery). A library such as `exponential-backoff` or `p-retry` runs a function
// and sleeps between attempts; the event consumer needs the delay itself (it stores the time of
// the next attempt with the event), partial jitter and an injectable random source for
// deterministic tests, so the delay computation is ours. It is a few lines of arithmetic.

/** Exponential growth with jitter, capped: the delay after `failures` failed attempts. */
export interface BackoffPolicy {
  /** Delay after the first failure, in ms. */
  readonly initialMs?: number;
  /** Upper bound of one delay in ms. */
  readonly maxMs?: number;
  /** Growth per failure (>= 1). */
  readonly factor?: number;
  /**
   * Fraction of the delay that is random: `delay * (1 - jitter + random * jitter)`.
   * 0 gives exact delays, 1 is "full jitter" (anywhere between 0 and the delay).
   */
  readonly jitter?: number;
}

/** A validated {@link BackoffPolicy} with every field set. */
export type ResolvedBackoff = Required<BackoffPolicy>;

/**
 * Defaults of an event consumer's retry delays: 100 ms doubling up to 30 s, half of each delay
 * random. Slow enough that a failing handler does not spin.
 */
export const DEFAULT_BACKOFF: ResolvedBackoff = Object.freeze({
  initialMs: 100,
  maxMs: 30_000,
  factor: 2,
  jitter: 0.5,
});

/**
 * Defaults of `withRetry` / `transaction(fn, { retry })`: 10 ms doubling up to 1 s, full
 * jitter. A serialization conflict clears within milliseconds, and full jitter spreads the
 * transactions that collided.
 */
export const TRANSACTION_RETRY_BACKOFF: ResolvedBackoff = Object.freeze({
  initialMs: 10,
  maxMs: 1000,
  factor: 2,
  jitter: 1,
});

/**
 * The zod schema of a {@link BackoffPolicy} with the given defaults: a strict object (unknown
 * keys rejected), `maxMs >= initialMs`.
 */
export function backoffSchema(
  defaults: ResolvedBackoff = DEFAULT_BACKOFF,
): z.ZodType<ResolvedBackoff, BackoffPolicy | undefined> {
  return z
    .strictObject({
      initialMs: z.number().min(0).default(defaults.initialMs),
      maxMs: z.number().min(0).default(defaults.maxMs),
      factor: z.number().min(1).default(defaults.factor),
      jitter: z.number().min(0).max(1).default(defaults.jitter),
    })
    .refine((p) => p.maxMs >= p.initialMs, {
      message: 'maxMs must be >= initialMs',
      path: ['maxMs'],
    })
    .default({ ...defaults }) as unknown as z.ZodType<ResolvedBackoff, BackoffPolicy | undefined>;
}

const defaultSchema = backoffSchema();

/**
 * Checks a policy once and fills in the defaults (`DEFAULT_BACKOFF` unless given).
 *
 * @throws {InvalidArgumentError} `VSA_DB_INVALID_ARGUMENT` naming the bad or unknown field.
 */
export function resolveBackoff(
  policy?: BackoffPolicy,
  defaults: ResolvedBackoff = DEFAULT_BACKOFF,
): ResolvedBackoff {
  const schema = defaults === DEFAULT_BACKOFF ? defaultSchema : backoffSchema(defaults);
  return parseOptions(schema, policy, { where: 'backoff', code: DB_INVALID_ARGUMENT });
}

/**
 * Delay in ms before the next attempt after `failures` failed attempts (1 = the first
 * failure; 0 or less counts as the first). Checks and completes `policy` as
 * {@link resolveBackoff} does; `random` (default `Math.random`) must return a number in [0, 1].
 *
 * @example
 * retryDelay({ initialMs: 100, jitter: 0 }, 3); // 400
 * @throws {InvalidArgumentError} `VSA_DB_INVALID_ARGUMENT` naming the bad argument.
 */
export function retryDelay(
  policy: BackoffPolicy | undefined,
  failures: number,
  random: () => number = Math.random,
): number {
  const resolved = resolveBackoff(policy);
  if (!Number.isSafeInteger(failures)) {
    throw invalidArgument(
      `retryDelay(policy, failures): failures must be an integer (failed attempts so far), got ${String(failures)}`,
    );
  }
  const r = random();
  if (!(r >= 0 && r <= 1)) {
    throw invalidArgument(
      `retryDelay(policy, failures, random): random() must return a number in [0, 1], got ${String(r)}`,
    );
  }
  return delayFor(resolved, failures, r);
}

/**
 * {@link retryDelay} without checks, for hot paths: `policy` already resolved once with
 * {@link resolveBackoff}, `random` already drawn in [0, 1]. Whole milliseconds.
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
