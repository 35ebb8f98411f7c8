import { describe, expect, it } from 'vitest';
import * as entry from './index.js';
import { decodeEvent, encodeEvent } from './message.js';
import { natsSettings, streamSettingsFromSettings } from './settings.js';

describe('@vsa/common-events-nats', () => {
  it('exports exactly its documented names', () => {
    expect(Object.keys(entry).sort()).toEqual([
      'HEADERS',
      'INVALID_ARGUMENT_CODE',
      'RelayGroupConflictError',
      'RelayStreamMismatchError',
      'StreamConfigConflictError',
      'createRelay',
      'decodeEvent',
      'ensureStream',
      'natsSettings',
      'relayMigrations',
      'streamSettingsFromSettings',
      'streamSettingsSchema',
      'streamSubjects',
      'subjectOf',
      'subscribeJetStream',
    ]);
  });

  it('decodes what it encodes, keeping keys with line breaks out of the headers', () => {
    const event = {
      id: '0190a0b0-0000-7000-8000-000000000001',
      channel: 'orders',
      type: 'OrderPlaced',
      version: 2,
      storedVersion: 2,
      key: 'a key\r\nwith a break',
      payload: { total: 5 },
      metadata: { correlationId: 'c1', traceparent: '00-abc-def-01', tenant: 'acme' },
      occurredAt: new Date('2026-01-01T00:00:00.000Z'),
      recordedAt: new Date('2026-01-01T00:00:01.000Z'),
      idempotencyKey: null,
      seq: 42,
      txId: '777',
      position: '9:42',
    };
    const { headers, body } = encodeEvent(event);
    expect(headers.get('Vsa-Event-Key')).toBe('a%20key%0D%0Awith%20a%20break');
    expect(headers.get('Vsa-Correlation-Id')).toBe('c1');
    expect(decodeEvent(headers, body)).toEqual(event);
  });

  it('reads stream settings from the environment fragment', () => {
    const settings = natsSettings.parse({
      NATS_SERVERS: 'nats://a:4222, nats://b:4222',
      NATS_STREAM_REPLICAS: '3',
    });
    expect(settings.NATS_SERVERS).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(streamSettingsFromSettings(settings)).toEqual({
      name: 'VSA_EVENTS',
      subjectPrefix: 'vsa',
      replicas: 3,
      retention: 'limits',
      duplicateWindowMs: 120_000,
      maxAgeMs: 0,
      storage: 'file',
    });
  });

  it('refuses a relay name that cannot name a bus consumer group', () => {
    const { createRelay } = entry;
    const bus = { db: {}, schema: 'vsa_events', ticker: { running: false } };
    expect(() =>
      createRelay({
        bus,
        nc: { publish() {} },
        channel: 'orders',
        stream: { name: 'ORDERS' },
        name: 'orders->ORDERS',
      } as never),
    ).toThrow(/^createRelay\(options\): .*name: must be 1-189 characters of letters, digits/);
  });

  it('names a wrong relay option and the accepted ones', () => {
    const { createRelay } = entry;
    expect(() => createRelay({ channel: 'orders', maxInflight: 3 } as never)).toThrow(
      /^createRelay\(options\): .*unknown option "maxInflight" \(accepted: .*maxInFlight/,
    );
  });
});
