import { describe, expect, it } from 'vitest';
import type { ConsumerSql } from '../consumer-sql.js';
import type { ResolvedSubscribeOptions } from '../options.js';
import { wakeForTick } from './lifecycle.js';
import { createRuntime } from './state.js';
import { takeWoken, waitForWake, wake } from './wake.js';

function runtime(partitions: number) {
  const rt = createRuntime({
    db: {} as never,
    options: { channel: 'orders', partitions } as ResolvedSubscribeOptions,
    sql: {} as ConsumerSql,
    memberId: 'm1',
  });
  takeWoken(rt.wake); // a new runtime starts with every partition to look at
  rt.wake.woken = false;
  return rt;
}

describe('wake-ups by tick contents', () => {
  it('wakes only the partitions the tick keys fall in, by key_hash % partitions', () => {
    const rt = runtime(4);
    wakeForTick(rt, new Map([['orders', [6, 9]]]));
    expect(rt.wake.woken).toBe(true);
    expect([...(takeWoken(rt.wake) as ReadonlySet<number>)].sort()).toEqual([1, 2]);
  });

  it('does not wake a group whose channel is not in the tick', () => {
    const rt = runtime(4);
    wakeForTick(rt, new Map([['inventory', [6]]]));
    expect(rt.wake.woken).toBe(false);
    expect([...(takeWoken(rt.wake) as ReadonlySet<number>)]).toEqual([]);
  });

  it('wakes every partition when the contents are unknown, and partition 0 of one partition', () => {
    const rt = runtime(4);
    wakeForTick(rt, null);
    expect(takeWoken(rt.wake)).toBe('all');
    const single = runtime(1);
    wakeForTick(single, new Map([['orders', [7]]]));
    expect([...(takeWoken(single.wake) as ReadonlySet<number>)]).toEqual([0]);
  });

  it('a plain wake and the poll timeout look at every partition', async () => {
    const rt = runtime(4);
    wake(rt.wake, [3]);
    wake(rt.wake);
    expect(takeWoken(rt.wake)).toBe('all');
    rt.wake.woken = false;
    await waitForWake(rt.wake, 1);
    expect(takeWoken(rt.wake)).toBe('all');
  });
});
