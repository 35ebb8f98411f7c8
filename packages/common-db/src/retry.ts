import { InvalidArgumentError, isRetryableTransactionError, mapDatabaseError } from './errors.js';
import type { BackoffOptions, RetryOptions } from './types.js';

function checkBackoff(options: BackoffOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('backoff must be an object: { initialMs?, maxMs?, factor? }');
  }
  for (const key of ['initialMs', 'maxMs'] as const) {
    const value = options[key];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError(
        `backoff.${key} must be a number of ms >= 0, got ${String(value)}`,
      );
    }
  }
  if (options.factor !== undefined && !(Number.isFinite(options.factor) && options.factor >= 1)) {
    throw new InvalidArgumentError(
      `backoff.factor must be a number >= 1, got ${String(options.factor)}`,
    );
  }
}

/**
 * Delay in ms before attempt `attempt` (1-based): exponential with full jitter, a random
 * value in `[0, min(maxMs, initialMs * factor^(attempt - 1)))`.
 *
 * @throws {InvalidArgumentError} `VSA_DB_INVALID_ARGUMENT` for an attempt below 1 or bad backoff options.
 */
export function backoffDelay(attempt: number, options: RetryOptions['backoff'] = {}): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new InvalidArgumentError(`attempt must be an integer >= 1, got ${String(attempt)}`);
  }
  checkBackoff(options);
  const initial = options.initialMs ?? 10;
  const max = options.maxMs ?? 1000;
  const factor = options.factor ?? 2;
  const ceiling = Math.min(max, initial * factor ** (attempt - 1));
  return Math.random() * ceiling;
}

/**
 * Runs `fn` and re-runs the WHOLE function when it fails with a serialization failure or
 * deadlock (40001 / 40P01), up to `retries` extra times with jittered exponential backoff.
 * The last error is thrown (mapped to `SerializationFailureError`).
 *
 * @example
 * await withRetry(() => db.transaction(tx => transfer(tx), { isolationLevel: 'Serializable' }));
 * @throws {InvalidArgumentError} `VSA_DB_INVALID_ARGUMENT` (before calling `fn`) when `fn` is not
 * a function, `retries` is not an integer >= 0, `backoff` is out of range, or a callback is not a function.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  if (typeof fn !== 'function') {
    throw new InvalidArgumentError('withRetry(fn): fn must be a function returning a promise');
  }
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('withRetry(fn, options): options must be an object');
  }
  const retries = options.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new InvalidArgumentError(`retries must be an integer >= 0, got ${String(retries)}`);
  }
  checkBackoff(options.backoff);
  for (const key of ['shouldRetry', 'onRetry'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'function') {
      throw new InvalidArgumentError(`${key} must be a function`);
    }
  }
  const shouldRetry = options.shouldRetry ?? isRetryableTransactionError;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= retries || !shouldRetry(error)) throw mapDatabaseError(error);
      options.onRetry?.(error, attempt + 1);
      await new Promise((resolve) =>
        setTimeout(resolve, backoffDelay(attempt + 1, options.backoff)),
      );
    }
  }
}
