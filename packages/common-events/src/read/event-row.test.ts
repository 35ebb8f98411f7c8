import { describe, expect, it } from 'vitest';
import { decodeCursor } from './cursor.js';
import { type EventRow, eventColumnsSql, eventFromRow, toDate } from './event-row.js';

const row = (at: EventRow['occurred_at']): EventRow => ({
  seq: '42',
  tx_id: '777',
  id: '0190a4e0-0000-7000-8000-000000000000',
  channel: 'orders',
  type: 'OrderPlaced',
  version: 2,
  key: 'k',
  payload: { a: 1 },
  metadata: { tenant: 't' },
  idempotency_key: null,
  occurred_at: at,
  recorded_at: at,
});

describe('toDate', () => {
  const ms = Date.UTC(2026, 0, 2, 3, 4, 5, 123);

  it('takes epoch ms as a number or as text (a driver without type parsers)', () => {
    expect(toDate(ms).getTime()).toBe(ms);
    expect(toDate(String(ms)).getTime()).toBe(ms);
    expect(toDate(-1).toISOString()).toBe('1969-12-31T23:59:59.999Z');
  });

  it('keeps a Date and parses a timestamp string (an adapter returning timestamptz)', () => {
    const d = new Date(ms);
    expect(toDate(d)).toBe(d);
    expect(toDate('2026-01-02T03:04:05.123Z').getTime()).toBe(ms);
    expect(toDate('').getTime()).toBeNaN();
  });
});

describe('eventFromRow', () => {
  it('maps every column and positions the event in the tick', () => {
    const e = eventFromRow(row(1_767_323_045_123), 9);
    expect(e).toEqual({
      id: '0190a4e0-0000-7000-8000-000000000000',
      channel: 'orders',
      type: 'OrderPlaced',
      version: 2,
      storedVersion: 2,
      key: 'k',
      payload: { a: 1 },
      metadata: { tenant: 't' },
      occurredAt: new Date(1_767_323_045_123),
      idempotencyKey: null,
      seq: 42,
      txId: '777',
      recordedAt: new Date(1_767_323_045_123),
      position: e.position,
    });
    expect(decodeCursor(e.position)).toEqual({ tick: 9, seq: 42 });
  });
});

describe('eventColumnsSql', () => {
  it('casts ids only for table rows and never selects key_hash', () => {
    expect(eventColumnsSql('e', false)).toContain('e.id::text as id');
    expect(eventColumnsSql('r', true)).not.toContain('::text');
    expect(eventColumnsSql('r', true)).not.toContain('key_hash');
    expect(eventColumnsSql('r', true)).toContain(
      'floor(extract(epoch from r.occurred_at) * 1000)::float8 as occurred_at',
    );
  });
});
