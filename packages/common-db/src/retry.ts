import { InvalidArgumentError, isRetryableTransactionError, mapDatabaseError } from './errors.js';
import type { RetryOptions } from './types.js';

/** Delay before attempt `attempt` (1-based): exponential with full jitter. */
export function backoffDelay(attempt: number, options: RetryOptions['backoff'] = {}): number {
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
 */
export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const retries = options.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0) {
    throw new InvalidArgumentError(`retries must be an integer >= 0, got ${String(retries)}`);
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
