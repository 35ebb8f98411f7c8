import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF, delayFor, resolveBackoff, retryDelay } from './backoff.js';

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
    expect(retryDelay(exact, -3)).toBe(100);
  });

  it('completes a partial policy with the defaults', () => {
    expect(retryDelay({ initialMs: 10, jitter: 0 }, 3)).toBe(40);
    expect(retryDelay({}, 1, () => 1)).toBe(DEFAULT_BACKOFF.initialMs);
  });

  it('stays a finite number for huge failure counts, and 0 with initialMs 0', () => {
    expect(retryDelay(exact, 100_000)).toBe(1000);
    expect(retryDelay({ initialMs: 0, maxMs: 0 }, 5_000)).toBe(0);
  });

  it.each([
    ['NaN failures', () => retryDelay(exact, Number.NaN), /failures: must be an integer/],
    ['fractional failures', () => retryDelay(exact, 1.5), /failures: must be an integer/],
    ['string failures', () => retryDelay(exact, '2' as never), /failures: must be an integer/],
    [
      'a broken policy',
      () => retryDelay({ factor: Number.NaN }, 1),
      /^retryDelay\(policy, failures, random\): policy\.factor: /,
    ],
    [
      'a null policy',
      () => retryDelay(null as never, 1),
      /policy: Invalid input: expected object, received null/,
    ],
    [
      'random out of range',
      () => retryDelay(exact, 1, () => 2),
      /random\(\): must return a number in \[0, 1\]/,
    ],
    [
      'random NaN',
      () => retryDelay(exact, 1, () => Number.NaN),
      /random\(\): must return a number in \[0, 1\]/,
    ],
    [
      'random not a function',
      () => retryDelay(exact, 1, 0.5 as never),
      /random: must be a function/,
    ],
  ])('rejects %s with VSA_EVENTS_INVALID_ARGUMENT', (_what, call, message) => {
    expect(call).toThrow(message);
    expect(call).toThrow(expect.objectContaining({ code: 'VSA_EVENTS_INVALID_ARGUMENT' }));
  });
});

describe('delayFor', () => {
  it('gives what retryDelay gives for the resolved policy and the same random draw', () => {
    const policies = [{}, { initialMs: 0 }, { initialMs: 7, maxMs: 500, factor: 3, jitter: 0.3 }];
    for (const policy of policies) {
      const resolved = resolveBackoff(policy);
      for (const failures of [-1, 0, 1, 2, 5, 40, 5000]) {
        for (const r of [0, 0.25, 1]) {
          expect(
            delayFor(resolved, failures, r),
            `${JSON.stringify(policy)} ${failures} ${r}`,
          ).toBe(retryDelay(policy, failures, () => r));
        }
      }
    }
    expect(delayFor(resolveBackoff({ initialMs: 100, jitter: 0 }), 3, 0.9)).toBe(400);
  });
});

describe('resolveBackoff', () => {
  it('fills in the defaults, also for fields given as undefined', () => {
    expect(resolveBackoff()).toEqual(DEFAULT_BACKOFF);
    expect(resolveBackoff({ maxMs: 500 })).toMatchObject({ initialMs: 100, maxMs: 500 });
    expect(resolveBackoff({ initialMs: undefined, jitter: 0 } as never)).toEqual({
      ...DEFAULT_BACKOFF,
      jitter: 0,
    });
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
    expect(() => resolveBackoff(null as never)).toThrow(
      'backoff: expected an options object (got null)',
    );
  });

  it('rejects an unknown field, naming it and the accepted ones', () => {
    expect(() => resolveBackoff({ initalMs: 5 } as never)).toThrow(
      'backoff: unknown option "initalMs" (accepted: initialMs, maxMs, factor, jitter)',
    );
    expect(() => resolveBackoff({ initalMs: 5 } as never)).toThrow(
      expect.objectContaining({ code: 'VSA_EVENTS_INVALID_ARGUMENT' }),
    );
  });
});
