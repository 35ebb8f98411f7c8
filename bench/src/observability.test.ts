import { describe, expect, it } from 'vitest';
import { byRoundPairs } from './observability.js';

describe('byRoundPairs', () => {
  it('cancels an order effect that alternates from round to round', () => {
    // 1.04 and 0.94 in turn, with more rounds of one order: the plain median says 1.04.
    const rounds = [1.04, 0.94, 1.04, 0.94, 1.04];
    expect(byRoundPairs(rounds)).toBeCloseTo(Math.sqrt(1.04 * 0.94), 10);
  });

  it('takes the median of the pairs, leaving an odd last round out', () => {
    expect(byRoundPairs([1, 1, 4, 1, 9, 1, 100])).toBeCloseTo(2, 10);
  });

  it('is the value itself for one round, and NaN for none', () => {
    expect(byRoundPairs([0.97])).toBe(0.97);
    expect(byRoundPairs([])).toBeNaN();
  });
});
