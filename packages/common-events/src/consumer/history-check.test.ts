import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryEntry } from './history-check.js';

const d = (key: string, n: number, worker: number): HistoryEntry => ({ key, n, worker });
const kill = (worker: number): HistoryEntry => ({ type: 'kill', worker });
const ack = (key: string, n: number): HistoryEntry => ({ type: 'ack', key, n });
const published = new Map([
  ['a', 3],
  ['b', 2],
]);
const onlyA = new Map([['a', 3]]);
const clean = {
  ok: true,
  missing: [],
  outOfOrder: [],
  unexplainedDuplicates: [],
  lateReplays: [],
  acknowledgedUndelivered: [],
  deliveredAfterKill: [],
};

describe('checkHistory', () => {
  it('accepts a complete, ordered history with interleaved keys', () => {
    const report = checkHistory(
      [d('a', 1, 1), d('b', 1, 2), d('a', 2, 1), d('b', 2, 2), d('a', 3, 1)],
      published,
    );
    expect(report).toEqual({ ...clean, duplicates: 0, replays: 0, acksChecked: false });
  });

  it('accepts a replay after the deliverer was killed, from the first unacknowledged value', () => {
    const h = [
      d('a', 1, 1),
      ack('a', 1),
      d('a', 2, 1),
      d('a', 3, 1),
      kill(1),
      d('a', 2, 2),
      d('a', 3, 2),
      ack('a', 3),
      d('b', 1, 2),
      d('b', 2, 2),
      ack('b', 2),
    ];
    expect(checkHistory(h, published)).toEqual({
      ...clean,
      duplicates: 2,
      replays: 1,
      acksChecked: true,
    });
  });

  it('accepts a replay that restarts before the first unacknowledged value', () => {
    const h = [
      d('a', 1, 1),
      d('a', 2, 1),
      ack('a', 1),
      kill(1),
      d('a', 1, 2),
      d('a', 2, 2),
      d('a', 3, 2),
    ];
    expect(checkHistory(h, onlyA)).toMatchObject({ ...clean, duplicates: 2, replays: 1 });
  });

  it('accepts repeated replays when each deliverer was killed before the next delivery', () => {
    const h = [
      d('a', 1, 1),
      kill(1),
      d('a', 1, 2),
      d('a', 2, 2),
      kill(2),
      d('a', 1, 3),
      d('a', 2, 3),
      d('a', 3, 3),
    ];
    expect(checkHistory(h, onlyA)).toMatchObject({ ...clean, duplicates: 3, replays: 2 });
  });

  it('rejects a duplicate whose deliverer was killed only after it (late kill)', () => {
    const h = [d('a', 1, 1), d('a', 2, 1), d('a', 1, 2), d('a', 2, 2), d('a', 3, 2), kill(1)];
    const report = checkHistory(h, onlyA);
    expect(report.ok).toBe(false);
    expect(report.outOfOrder).toEqual(['a:1']);
    expect(report.unexplainedDuplicates).toEqual(['a:1', 'a:2']);
  });

  it('rejects a duplicate when another worker was killed, not its deliverer', () => {
    const h = [d('a', 1, 1), d('a', 2, 1), kill(2), d('a', 2, 3), d('a', 3, 3)];
    const report = checkHistory(h, onlyA);
    expect(report.ok).toBe(false);
    expect(report.unexplainedDuplicates).toEqual(['a:2']);
    expect(report.outOfOrder).toEqual(['a:2']);
  });

  it('rejects a replay that skips a value', () => {
    const h = [d('a', 1, 1), d('a', 2, 1), d('a', 3, 1), kill(1), d('a', 1, 2), d('a', 3, 2)];
    const report = checkHistory(h, onlyA);
    expect(report.ok).toBe(false);
    expect(report.outOfOrder).toEqual(['a:3']);
    expect(report.missing).toEqual([]);
    expect(report.unexplainedDuplicates).toEqual([]);
  });

  it('rejects a reordered replay', () => {
    const h = [d('a', 1, 1), d('a', 2, 1), d('a', 3, 1), kill(1), d('a', 2, 2), d('a', 1, 2)];
    const report = checkHistory([...h, d('a', 2, 2), d('a', 3, 2)], onlyA);
    expect(report.ok).toBe(false);
    // a:1 goes back again without a new kill; the second a:2 is then a duplicate of worker 2's own.
    expect(report.outOfOrder).toEqual(['a:1']);
    expect(report.unexplainedDuplicates).toEqual(['a:2']);
  });

  it('rejects a replay that restarts after the first unacknowledged value', () => {
    const h = [d('a', 1, 1), d('a', 2, 1), d('a', 3, 1), ack('a', 1), kill(1), d('a', 3, 2)];
    const report = checkHistory(h, onlyA);
    expect(report.ok).toBe(false);
    expect(report.lateReplays).toEqual(['a:3']);
    expect(report.outOfOrder).toEqual([]);
  });

  it('rejects an acknowledgement of a value never delivered, and deliveries after a kill', () => {
    const h = [d('a', 1, 1), ack('a', 2), kill(1), d('a', 2, 1), d('a', 3, 2)];
    const report = checkHistory(h, onlyA);
    expect(report.acknowledgedUndelivered).toEqual(['a:2']);
    expect(report.deliveredAfterKill).toEqual(['a:2']);
    expect(report.ok).toBe(false);
  });

  it('flags duplicates without a kill', () => {
    const h = [d('a', 1, 1), d('a', 1, 1), d('a', 2, 1), d('a', 3, 1), d('b', 1, 1), d('b', 2, 1)];
    const report = checkHistory(h, published);
    expect(report.unexplainedDuplicates).toEqual(['a:1']);
    expect(report.outOfOrder).toEqual(['a:1']);
  });

  it('flags gaps and inversions', () => {
    const h = [d('a', 2, 1), d('a', 1, 1), d('a', 3, 1), d('b', 1, 1), d('b', 2, 1)];
    const report = checkHistory(h, published);
    expect(report.ok).toBe(false);
    expect(report.outOfOrder).toEqual(['a:2', 'a:1', 'a:3']);
    expect(report.unexplainedDuplicates).toEqual([]);
    expect(report.missing).toEqual([]);
  });

  it('flags missing values and keys never delivered', () => {
    const report = checkHistory([d('a', 1, 1)], published);
    expect(report.missing).toEqual(['a:2', 'a:3', 'b:1', 'b:2']);
    expect(report.ok).toBe(false);
  });
});
