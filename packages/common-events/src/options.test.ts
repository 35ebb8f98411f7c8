import type { Database } from '@vsa/common-db';
import { describe, expect, it, vi } from 'vitest';
import { createEventBus } from './bus.js';
import { consumerDefaultsSchema } from './consumer/options.js';
import { InvalidArgumentError } from './errors.js';
import { bufferTuningSchema, createEventBuffer } from './publish/event-buffer.js';
import { getEventsByChannel } from './read/get-events-by-channel.js';
import { testCatalog } from './test-support/catalog.js';
import { createTicker } from './ticker/ticker.js';

// Options are parsed at the entry, before any query: a database stand-in that fails the test
// if anything reaches it.
const query = vi.fn(async () => {
  throw new Error('options must be refused before any query');
});
const db = { query, transaction: query } as unknown as Database<unknown>;
const invalid = (message: string | RegExp) =>
  expect.objectContaining({
    code: 'VSA_EVENTS_INVALID_ARGUMENT',
    message: typeof message === 'string' ? message : expect.stringMatching(message),
  });

describe('createEventBus parses every option once', () => {
  it.each([
    [
      'an unknown key',
      { tickIntervalMS: 5 },
      'createEventBus(options): unknown option "tickIntervalMS" (accepted: db, catalog, schema, logger, tickIntervalMs, buffer, consumers, metrics, tracer)',
    ],
    [
      'an unknown buffer key',
      { buffer: { maxBach: 5 } },
      'createEventBus(options): buffer: unknown option "maxBach" (accepted: maxBatch, maxDelayMs, maxPending, lanes)',
    ],
    [
      'an unknown consumers key',
      { consumers: { listn: false } },
      'createEventBus(options): consumers: unknown option "listn" (accepted: listen, pollIntervalMs)',
    ],
    [
      'a bad tickIntervalMs',
      { tickIntervalMs: 0 },
      'createEventBus(options): tickIntervalMs: must be an integer from 1 to 60000 (got 0)',
    ],
    [
      'a bad buffer value',
      { buffer: { lanes: 65 } },
      'createEventBus(options): buffer.lanes: must be an integer from 1 to 64 (got 65)',
    ],
    [
      'a buffer too small for its batch',
      { buffer: { maxBatch: 100, maxPending: 10 } },
      'createEventBus(options): buffer.maxPending: must be at least maxBatch (room for one whole batch) (got 10)',
    ],
    [
      'a bad consumers value',
      { consumers: { pollIntervalMs: -1 } },
      'createEventBus(options): consumers.pollIntervalMs: must be an integer from 1 to 600000 (got -1)',
    ],
    [
      'a non-boolean listen',
      { consumers: { listen: 'no' } },
      /^createEventBus\(options\): consumers\.listen: must be true or false$/,
    ],
    ['a bad schema', { schema: 'Orders' }, /^createEventBus\(options\): schema: use lower-case/],
  ])('refuses %s, naming it', (_what, extra, message) => {
    expect(() => createEventBus({ db, catalog: testCatalog, ...extra } as never)).toThrow(
      invalid(message),
    );
  });

  it('names every problem in one message, and a missing db and catalog', () => {
    expect(() => createEventBus({} as never)).toThrow(
      /^createEventBus\(options\): db: must be a @vsa\/common-db Database.*; catalog: must come from defineCatalog/,
    );
    expect(() => createEventBus(undefined as never)).toThrow(InvalidArgumentError);
  });

  it('applies the defaults: schema, buffer and consumer defaults', () => {
    const bus = createEventBus({ db, catalog: testCatalog });
    expect(bus.schema).toBe('vsa_events');
    expect(bufferTuningSchema.parse(undefined)).toEqual({
      maxBatch: 1000,
      maxDelayMs: 1,
      maxPending: 20_000,
      lanes: 1,
    });
    expect(consumerDefaultsSchema.parse(undefined)).toEqual({ listen: true, pollIntervalMs: 500 });
    expect(consumerDefaultsSchema.parse({ listen: false })).toEqual({
      listen: false,
      pollIntervalMs: 500,
    });
  });

  it('bus.read and bus.consumers.subscribe parse their own options', async () => {
    const bus = createEventBus({ db, catalog: testCatalog });
    await expect(bus.read('orders', { limt: 5 } as never)).rejects.toEqual(
      invalid(/^bus\.read\(channel, options\): unknown option "limt" \(accepted: after, limit,/),
    );
    await expect(bus.read('orders', { schema: 'x' } as never)).rejects.toEqual(
      invalid(/unknown option "schema"/),
    );
    expect(() =>
      bus.consumers.subscribe({
        group: 'g',
        channel: 'orders',
        handler: () => {},
        lisen: 1,
      } as never),
    ).toThrow(invalid(/^bus\.consumers\.subscribe\(options\): unknown option "lisen"/));
  });
});

describe('createEventBuffer, createTicker and getEventsByChannel', () => {
  it('createEventBuffer refuses unknown keys and applies its defaults', () => {
    expect(() => createEventBuffer({ db, maxBach: 1 } as never)).toThrow(
      invalid(/^createEventBuffer\(options\): unknown option "maxBach" \(accepted: db, schema,/),
    );
    const buffer = createEventBuffer({ db });
    expect(buffer.stats).toEqual({ queued: 0, inFlight: 0, waiting: 0 });
  });

  it('createTicker refuses unknown keys and bad values', () => {
    expect(() => createTicker({ db, interval: 5 } as never)).toThrow(
      invalid(
        'createTicker(options): unknown option "interval" (accepted: db, schema, intervalMs, logger)',
      ),
    );
    expect(() => createTicker({ db, logger: {} as never })).toThrow(
      invalid(/^createTicker\(options\): logger: .*missing debug, info, warn, error/),
    );
    expect(createTicker({ db }).running).toBe(false);
  });

  it.each([
    [
      'an unknown key',
      { afer: '1:1' },
      /^getEventsByChannel\(db, channel, options\): unknown option "afer" \(accepted: after, limit, types, tick, partitions, partition, schema, catalog\)$/,
    ],
    ['a bad limit', { limit: 0 }, /limit: must be an integer from 1 to 10000 \(got 0\)$/],
    [
      'a partition out of range',
      { partitions: 2, partition: 2 },
      /partition: must be below partitions \(got 2\)$/,
    ],
    ['bad types', { types: 'OrderPlaced' }, /types: must be an array of event type names$/],
  ])('getEventsByChannel refuses %s', async (_what, options, message) => {
    await expect(getEventsByChannel(db, 'orders', options as never)).rejects.toEqual(
      invalid(message),
    );
  });

  it('getEventsByChannel refuses a bad cursor with its own code', async () => {
    await expect(getEventsByChannel(db, 'orders', { after: 'x' })).rejects.toMatchObject({
      code: 'VSA_EVENTS_INVALID_CURSOR',
    });
  });

  it('sent no query for any of them', () => {
    expect(query).not.toHaveBeenCalled();
  });
});
