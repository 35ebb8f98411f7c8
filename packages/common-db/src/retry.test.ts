import { describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, SerializationFailureError } from './errors.js';
import { backoffDelay, withRetry } from './retry.js';

const conflict = () => Object.assign(new Error('could not serialize access'), { code: '40001' });

describe('withRetry', () => {
  it('re-runs the whole function on serialization failures', async () => {
    let calls = 0;
    const seen: number[] = [];
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw conflict();
        return 'ok';
      },
      { backoff: { initialMs: 1, maxMs: 1 }, onRetry: (_e, attempt) => seen.push(attempt) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(seen).toEqual([1, 2]);
  });

  it('gives up after `retries` and throws the mapped error', async () => {
    let calls = 0;
    const error = await withRetry(
      async () => {
        calls++;
        throw conflict();
      },
      { retries: 2, backoff: { initialMs: 1 } },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(SerializationFailureError);
  });

  it('does not retry other errors', async () => {
    let calls = 0;
    await expect(
      withRetry(async () => {
        calls++;
        throw new Error('nope');
      }),
    ).rejects.toThrow('nope');
    expect(calls).toBe(1);
  });

  it.each<[string, () => Promise<unknown>]>([
    ['retries -1', () => withRetry(async () => 1, { retries: -1 })],
    ['retries 1.5', () => withRetry(async () => 1, { retries: 1.5 })],
    ['fn not a function', () => withRetry('sql' as never)],
    ['negative initialMs', () => withRetry(async () => 1, { backoff: { initialMs: -1 } })],
    ['NaN maxMs', () => withRetry(async () => 1, { backoff: { maxMs: Number.NaN } })],
    ['factor below 1', () => withRetry(async () => 1, { backoff: { factor: 0.5 } })],
    ['shouldRetry not a function', () => withRetry(async () => 1, { shouldRetry: true as never })],
  ])('rejects %s with VSA_DB_INVALID_ARGUMENT before running fn', async (_, call) => {
    await expect(call()).rejects.toMatchObject({
      code: 'VSA_DB_INVALID_ARGUMENT',
    });
    await expect(call()).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('grows the backoff ceiling exponentially up to maxMs, with full jitter below it', () => {
    // Math.random is the jitter source: pin it to its extremes to see the ceiling and the floor.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0.999_999);
    const ceilings = [1, 2, 3, 4, 5].map((attempt) =>
      Math.round(backoffDelay(attempt, { initialMs: 10, maxMs: 50 })),
    );
    expect(ceilings).toEqual([10, 20, 40, 50, 50]);
    expect(Math.round(backoffDelay(3, { initialMs: 10, factor: 3 }))).toBe(90);
    expect(Math.round(backoffDelay(20))).toBe(1000); // defaults: 10 ms doubling, capped at 1 s
    random.mockReturnValue(0);
    expect(backoffDelay(5, { initialMs: 10, maxMs: 50 })).toBe(0);
    expect(() => backoffDelay(0)).toThrow(InvalidArgumentError);
  });
});
