import { describe, expect, it } from 'vitest';
import { checkHistory, type Delivery } from './history-check.js';

const d = (key: string, n: number, worker: number): Delivery => ({ key, n, worker });
const published = new Map([
  ['a', 3],
  ['b', 2],
]);

describe('checkHistory', () => {
  it('accepts a complete, ordered history with interleaved keys', () => {
    const report = checkHistory(
      [d('a', 1, 1), d('b', 1, 2), d('a', 2, 1), d('b', 2, 2), d('a', 3, 1)],
      published,
      new Set(),
    );
    expect(report).toEqual({
      ok: true,
      missing: [],
      outOfOrder: [],
      unexplainedDuplicates: [],
      duplicates: 0,
    });
  });

  it('accepts redeliveries after the first deliverer crashed', () => {
    const h = [
      d('a', 1, 1),
      d('a', 2, 1),
      d('a', 1, 2),
      d('a', 2, 2),
      d('a', 3, 2),
      d('b', 1, 2),
      d('b', 2, 2),
    ];
    const report = checkHistory(h, published, new Set([1]));
    expect(report.ok).toBe(true);
    expect(report.duplicates).toBe(2);
  });

  it('flags duplicates without a crash', () => {
    const h = [d('a', 1, 1), d('a', 1, 1), d('a', 2, 1), d('a', 3, 1), d('b', 1, 1), d('b', 2, 1)];
    expect(checkHistory(h, published, new Set([2])).unexplainedDuplicates).toEqual(['a:1']);
  });

  it('flags gaps and inversions', () => {
    const h = [d('a', 2, 1), d('a', 1, 1), d('a', 3, 1), d('b', 1, 1), d('b', 2, 1)];
    const report = checkHistory(h, published, new Set());
    expect(report.ok).toBe(false);
    expect(report.outOfOrder).toEqual(['a:2', 'a:3']);
    expect(report.missing).toEqual(['a:2', 'a:3']);
  });

  it('flags missing values and keys never delivered', () => {
    const report = checkHistory([d('a', 1, 1)], published, new Set());
    expect(report.missing).toEqual(['a:2', 'a:3', 'b:1', 'b:2']);
  });
});
