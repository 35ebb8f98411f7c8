import { describe, expect, it } from 'vitest';
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

  it('validates retries and bounds the backoff', async () => {
    await expect(withRetry(async () => 1, { retries: -1 })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    for (let attempt = 1; attempt < 20; attempt++) {
      const d = backoffDelay(attempt, { initialMs: 10, maxMs: 50 });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(50);
    }
  });
});
