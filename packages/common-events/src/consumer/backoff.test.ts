import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, resolveBackoff, retryDelay } from './backoff.js';

describe('retryDelay', () => {
  const exact = resolveBackoff({ initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 });

  it('grows exponentially from initialMs and stops at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(exact, n))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('keeps the delay within [base * (1 - jitter), base]', () => {
    const half = resolveBackoff({ initialMs: 100, maxMs: 1000, jitter: 0.5 });
    expect(retryDelay(half, 2, () => 0)).toBe(100);
    expect(retryDelay(half, 2, () => 0.999999)).toBe(200);
    const full = resolveBackoff({ jitter: 1 });
    expect(retryDelay(full, 1, () => 0)).toBe(0);
  });

  it('treats 0 or negative failure counts as the first', () => {
    expect(retryDelay(exact, 0)).toBe(100);
  });
});

describe('resolveBackoff', () => {
  it('fills in the defaults', () => {
    expect(resolveBackoff()).toEqual(DEFAULT_BACKOFF);
    expect(resolveBackoff({ maxMs: 500 })).toMatchObject({ initialMs: 100, maxMs: 500 });
  });

  it.each([
    [{ initialMs: -1 }, /initialMs/],
    [{ initialMs: 100, maxMs: 50 }, /maxMs/],
    [{ factor: 0.5 }, /factor/],
    [{ jitter: 2 }, /jitter/],
    [{ initialMs: Number.NaN }, /initialMs/],
  ])('rejects %o', (policy, message) => {
    expect(() => resolveBackoff(policy)).toThrow(message);
  });

  it('rejects a non-object', () => {
    expect(() => resolveBackoff(null as never)).toThrow(/VSA|backoff must be/);
  });
});
