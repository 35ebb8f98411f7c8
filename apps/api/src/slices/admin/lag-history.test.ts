import { describe, expect, it } from 'vitest';
import type { ConsumerStatusView } from './consumer-status.js';
import { createLagHistory } from './lag-history.js';

function view(lagEvents: number, groups = ['g']): ConsumerStatusView {
  return {
    lastTick: 1,
    oldestTransactions: [],
    groups: groups.map((group) => ({
      group,
      channel: 'orders',
      partitions: 1,
      members: 1,
      types: null,
      deadLetters: 0,
      lagEvents,
      partitionStatus: [
        {
          partition: 0,
          position: '1:1',
          lagEvents,
          lagSeconds: lagEvents / 10,
          oldestUnprocessedAgeSeconds: null,
          leased: true,
          blockedSeq: null,
        },
      ],
    })),
  };
}

describe('createLagHistory', () => {
  it('keeps one sample per bucket (the latest), drops old ones and vanished groups', () => {
    const history = createLagHistory(5000, 20_000);
    history.record(view(1), 0);
    history.record(view(2), 4000);
    history.record(view(3), 5000);
    expect(history.series()['g/orders']?.map((s) => s.lagEvents)).toEqual([2, 3]);
    history.record(view(9), 30_000);
    expect(history.series()['g/orders']).toEqual([{ at: 30_000, lagEvents: 9, lagSeconds: 0.9 }]);
    history.record(view(0, ['h']), 31_000);
    expect(Object.keys(history.series())).toEqual(['h/orders']);
  });
});
