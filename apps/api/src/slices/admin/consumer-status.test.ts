import type { ConsumerStatus } from '@vsa/common-events/admin';
import { describe, expect, it } from 'vitest';
import { cachedConsumerStatus } from './consumer-status.js';

const STATUS: ConsumerStatus = { groups: [], lastTick: 7, oldestTransactions: [] };

describe('cachedConsumerStatus', () => {
  it('reads the status once per window, also for concurrent callers, then again after it', async () => {
    let reads = 0;
    let clock = 0;
    const bus = {
      consumers: {
        status: async () => {
          reads += 1;
          return STATUS;
        },
      },
    } as unknown as Parameters<typeof cachedConsumerStatus>[0];
    const status = cachedConsumerStatus(bus, 1000, () => clock);
    await Promise.all(Array.from({ length: 50 }, () => status()));
    expect(reads).toBe(1);
    clock = 999;
    await status();
    expect(reads).toBe(1);
    clock = 1000;
    expect(await status()).toMatchObject({ lastTick: 7 });
    expect(reads).toBe(2);
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const bus = {
      consumers: {
        status: async () => {
          if (fail) throw new Error('database down');
          return STATUS;
        },
      },
    } as unknown as Parameters<typeof cachedConsumerStatus>[0];
    const status = cachedConsumerStatus(bus, 1000, () => 0);
    await expect(status()).rejects.toThrow('database down');
    fail = false;
    expect(await status()).toMatchObject({ lastTick: 7 });
  });
});
