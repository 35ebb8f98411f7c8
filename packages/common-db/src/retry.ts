import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import {
  type BackoffPolicy,
  backoffSchema,
  delayFor,
  type ResolvedBackoff,
  resolveBackoff,
  TRANSACTION_RETRY_BACKOFF,
} from './backoff.js';
import {
  DB_INVALID_ARGUMENT,
  invalidArgument,
  isRetryableTransactionError,
  mapDatabaseError,
} from './errors.js';
import type { IsolationLevel, RetryOptions } from './types.js';

const callback = <F>(what: string) =>
  z.custom<F>((value) => typeof value === 'function', `${what} must be a function`);

// The schema of RetryOptions: defaults 5 retries, TRANSACTION_RETRY_BACKOFF.
const retryOptionsSchema = z.strictObject({
  retries: z.int().min(0).default(5),
  backoff: backoffSchema(TRANSACTION_RETRY_BACKOFF),
  shouldRetry: callback<(error: unknown) => boolean>('shouldRetry').optional(),
  onRetry: callback<(error: unknown, attempt: number) => void>('onRetry').optional(),
});

/** {@link RetryOptions} checked, with every default filled in. */
export interface ResolvedRetryOptions {
  readonly retries: number;
  readonly backoff: ResolvedBackoff;
  readonly shouldRetry?: ((error: unknown) => boolean) | undefined;
  readonly onRetry?: ((error: unknown, attempt: number) => void) | undefined;
}

/** `transaction(fn, options)` options checked; `retry` resolved when it is an object. */
export interface ResolvedTransactionOptions {
  readonly isolationLevel?: IsolationLevel | undefined;
  readonly timeout?: number | undefined;
  readonly retry?: boolean | ResolvedRetryOptions | undefined;
}

// Parsed once per transaction() call; the resolved value goes to the driver and runWithRetry.
const transactionOptionsSchema = z.strictObject({
  isolationLevel: z.enum(['ReadCommitted', 'RepeatableRead', 'Serializable']).optional(),
  timeout: z.number().positive().optional(),
  retry: z.union([z.boolean(), retryOptionsSchema]).optional(),
});

/** The retry options of `transaction(fn, { retry: true })`. */
export const DEFAULT_RETRY: ResolvedRetryOptions = retryOptionsSchema.parse({});

/** Parses `withRetry` options once. */
export function resolveRetryOptions(options: unknown, where: string): ResolvedRetryOptions {
  return parseOptions(retryOptionsSchema, options ?? {}, { where, code: DB_INVALID_ARGUMENT });
}

/** Parses `transaction(fn, options)` options once. */
export function resolveTransactionOptions(options: unknown): ResolvedTransactionOptions {
  return parseOptions(transactionOptionsSchema, options ?? {}, {
    where: 'transaction(fn, options)',
    code: DB_INVALID_ARGUMENT,
  });
}

/**
 * Delay in ms before attempt `attempt` (1-based) of a transaction retry: exponential with full
 * jitter by default, a random value in `[0, min(maxMs, initialMs * factor^(attempt - 1))]`.
 *
 * @throws {InvalidArgumentError} `VSA_DB_INVALID_ARGUMENT` for an attempt below 1 or bad backoff options.
 */
export function backoffDelay(attempt: number, backoff?: BackoffPolicy): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw invalidArgument(
      `backoffDelay(attempt): attempt must be an integer >= 1, got ${String(attempt)}`,
    );
  }
  return delayFor(resolveBackoff(backoff, TRANSACTION_RETRY_BACKOFF), attempt, Math.random());
}

/**
 * Runs `fn` and re-runs the WHOLE function when it fails with a serialization failure or
 * deadlock (40001 / 40P01), up to `retries` extra times with jittered exponential backoff.
 * The last error is thrown (mapped to `SerializationFailureError`).
 *
 * @example
 * await withRetry(() => db.transaction(tx => transfer(tx), { isolationLevel: 'Serializable' }));
 * @throws {InvalidArgumentError} `VSA_DB_INVALID_ARGUMENT` (before calling `fn`) when `fn` is not
 * a function or an option is unknown or out of range.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  if (typeof fn !== 'function') {
    throw invalidArgument('withRetry(fn): fn must be a function returning a promise');
  }
  return runWithRetry(fn, resolveRetryOptions(options, 'withRetry(fn, options)'));
}

/** {@link withRetry} on options already resolved by {@link resolveRetryOptions}. */
export async function runWithRetry<T>(
  fn: () => Promise<T>,
  options: ResolvedRetryOptions,
): Promise<T> {
  const shouldRetry = options.shouldRetry ?? isRetryableTransactionError;
  const backoff: ResolvedBackoff = options.backoff;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= options.retries || !shouldRetry(error)) throw mapDatabaseError(error);
      options.onRetry?.(error, attempt + 1);
      const delay = delayFor(backoff, attempt + 1, Math.random());
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
