import { describe, expect, it } from 'vitest';
import { type ApiEventBus, withMemberId } from './infrastructure.js';

/** A bus whose consumers only record the options they were given. */
function recordingBus(seen: unknown[]): ApiEventBus {
  const subscribe = (options: unknown) => {
    seen.push(options);
    return {};
  };
  return { consumers: { subscribe } } as unknown as ApiEventBus;
}

describe('INSTANCE_ID as the consumer groups memberId', () => {
  const options = { group: 'g', channel: 'orders', handler: () => {} };

  it('every subscription gets it unless it names its own', () => {
    const seen: unknown[] = [];
    const bus = withMemberId(recordingBus(seen), 'api-0');
    bus.consumers.subscribe(options);
    bus.consumers.subscribe({ ...options, memberId: 'own' });
    expect(seen).toEqual([
      expect.objectContaining({ memberId: 'api-0' }),
      expect.objectContaining({ memberId: 'own' }),
    ]);
  });

  it('unset, the bus is unchanged', () => {
    const bus = recordingBus([]);
    expect(withMemberId(bus, undefined)).toBe(bus);
  });
});
