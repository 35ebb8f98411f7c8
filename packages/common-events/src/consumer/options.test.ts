import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BACKOFF } from './backoff.js';
import { busSubscribeParser, resolveSubscribeOptions, type SubscribeOptions } from './options.js';

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

  it('backoff is a strict policy: an unknown field is named, a bad value has one message', () => {
    expect(() => resolveSubscribeOptions({ ...base, backoff: { intialMs: 5 } } as never)).toThrow(
      'subscribe(db, options): backoff: unknown option "intialMs" (accepted: initialMs, maxMs, factor, jitter)',
    );
    expect(() =>
      resolveSubscribeOptions({ ...base, backoff: { initialMs: 500, maxMs: 100 } }),
    ).toThrow('subscribe(db, options): backoff.maxMs: maxMs must be >= initialMs');
    expect(() => resolveSubscribeOptions({ ...base, backoff: { jitter: 2 } })).toThrow(
      /^subscribe\(db, options\): backoff\.jitter: .*\(got 2\)$/,
    );
  });

  it('backoff defaults fill in what is not given', () => {
    expect(resolveSubscribeOptions(base).backoff).toEqual(DEFAULT_BACKOFF);
    expect(resolveSubscribeOptions({ ...base, backoff: { maxMs: 800 } }).backoff).toEqual({
      ...DEFAULT_BACKOFF,
      maxMs: 800,
    });
  });

  it.each([
    [
      'schema',
      { schema: 'Bad-Schema' },
      /^subscribe\(db, options\): schema: use lower-case letters/,
    ],
    [
      'startFrom',
      { startFrom: 'later' },
      /startFrom: must be 'beginning', 'now', \{ position: cursor \}/,
    ],
    ['startFrom position', { startFrom: { position: 5 } }, /startFrom: must be 'beginning'/],
    ['batchSize', { batchSize: 1.5 }, /batchSize: must be an integer from 1 to 10000/],
    ['memberId', { memberId: 'a b' }, /memberId: must be 1-200 characters/],
  ])('a bad %s is named with one message', (_what, extra, message) => {
    expect(() => resolveSubscribeOptions({ ...base, ...extra } as never)).toThrow(message);
  });
});

describe('a start position', () => {
  it('a malformed cursor keeps its own code (a client input an API may pass on)', () => {
    expect(() => resolveSubscribeOptions({ ...base, startFrom: { position: 'x' } })).toThrow(
      expect.objectContaining({ code: 'VSA_EVENTS_INVALID_CURSOR' }),
    );
    expect(resolveSubscribeOptions({ ...base, startFrom: { position: '3:4' } }).startFrom).toEqual({
      position: '3:4',
    });
  });
});

describe('bus.consumers.subscribe options', () => {
  const ticker = { onTick: () => () => {}, running: false } as never;
  const context = {
    schema: 'bus_schema',
    catalog: { upcast: (e: unknown) => e, validate: () => {} } as never,
    ticker,
    logger: undefined,
    metrics: undefined,
    tracer: trace.getTracer('test'),
    defaults: { listen: false, pollIntervalMs: 50 },
  };
  const parse = busSubscribeParser(context);

  it('the bus defaults apply, also to options given as undefined; given values win', () => {
    expect(parse(base)).toMatchObject({ listen: false, pollIntervalMs: 50, schema: 'bus_schema' });
    expect(parse({ ...base, listen: undefined, pollIntervalMs: undefined })).toMatchObject({
      listen: false,
      pollIntervalMs: 50,
    });
    expect(parse({ ...base, listen: true, pollIntervalMs: 7 })).toMatchObject({
      listen: true,
      pollIntervalMs: 7,
    });
  });

  it("schema, catalog and ticker are the bus's: giving them is an unknown option", () => {
    expect(() => parse({ ...base, schema: 'other' } as never)).toThrow(
      /^bus\.consumers\.subscribe\(options\): unknown option "schema" \(accepted: group, channel,/,
    );
  });

  it('memberTimeoutMs defaults to three heartbeats and must exceed one', () => {
    expect(resolveSubscribeOptions({ ...base, heartbeatMs: 200 }).memberTimeoutMs).toBe(600);
    expect(() =>
      resolveSubscribeOptions({ ...base, heartbeatMs: 500, memberTimeoutMs: 500 }),
    ).toThrow(/memberTimeoutMs: memberTimeoutMs must exceed heartbeatMs \(500\)/);
  });
});
