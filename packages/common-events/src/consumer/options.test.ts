import { describe, expect, it } from 'vitest';
import { resolveSubscribeOptions, type SubscribeOptions } from './options.js';

const base = { group: 'g', channel: 'orders', handler: () => {} };

describe('subscribe options are parsed once, strictly', () => {
  it('an unknown key is refused, naming it and the accepted keys', () => {
    const call = () => resolveSubscribeOptions({ ...base, bachSize: 10 } as SubscribeOptions);
    expect(call).toThrow(
      /subscribe\(db, options\): unknown option "bachSize" \(accepted: group, channel, .*batchSize/,
    );
    expect(call).toThrow(expect.objectContaining({ code: 'VSA_EVENTS_INVALID_ARGUMENT' }));
  });

  it('defaults come from the schema', () => {
    expect(resolveSubscribeOptions(base)).toMatchObject({
      types: null,
      mode: 'plain',
      batchSize: 100,
      partitions: 1,
      maxAttempts: 5,
      onFailure: 'park',
      startFrom: 'beginning',
      leaseMs: 30_000,
      heartbeatMs: 1_000,
      memberTimeoutMs: 3_000,
      pollIntervalMs: 500,
      listen: true,
      schema: 'vsa_events',
    });
  });

  it('every problem is named by its option', () => {
    expect(() =>
      resolveSubscribeOptions({ ...base, batchSize: 0, onFailure: 'x' } as never),
    ).toThrow(/batchSize: .*onFailure: /);
  });

  it('memberTimeoutMs defaults to three heartbeats and must exceed one', () => {
    expect(resolveSubscribeOptions({ ...base, heartbeatMs: 200 }).memberTimeoutMs).toBe(600);
    expect(() =>
      resolveSubscribeOptions({ ...base, heartbeatMs: 500, memberTimeoutMs: 500 }),
    ).toThrow(/memberTimeoutMs: memberTimeoutMs must exceed heartbeatMs \(500\)/);
  });
});
