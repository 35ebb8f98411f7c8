import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installEventStore } from '../install.js';
import { publishEvent } from '../publish/publish-event.js';
import { tickSql } from '../ticker/ticker.js';
import { decodeCursor } from './cursor.js';
import { type EventRow, eventColumnsSql, eventFromRow } from './event-row.js';
import { getEventsByChannel } from './get-events-by-channel.js';

const schema = 'row_test';

// Stored microseconds, and the Date each must decode to (microseconds dropped, as
// node-postgres's timestamptz parser does; before 1970 too).
const cases = [
  ['2026-01-02 03:04:05.123999+00', '2026-01-02T03:04:05.123Z'],
  ['2026-01-02 03:04:05.123+00', '2026-01-02T03:04:05.123Z'],
  ['2026-01-02 03:04:05.000001+00', '2026-01-02T03:04:05.000Z'],
  ['1969-12-31 23:59:59.999500+00', '1969-12-31T23:59:59.999Z'],
  ['2262-04-11 23:47:16.854775+00', '2262-04-11T23:47:16.854Z'],
] as const;

describe.each(testEngines())('event row decoding on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    db = t.db;
    await installEventStore(db, { schema });
    for (const [i, [stored]] of cases.entries()) {
      const p = await publishEvent(
        db,
        {
          id: crypto.randomUUID(),
          channel: 'rows',
          type: 'T',
          version: 1,
          key: `k${i}`,
          payload: { i },
          metadata: { m: i },
          occurredAt: new Date(),
          idempotencyKey: null,
        },
        { schema },
      );
      await db.query(
        `update "${schema}".events set occurred_at = $1::timestamptz, recorded_at = $1::timestamptz where seq = $2`,
        [stored, p.seq],
      );
    }
    await db.query(tickSql(schema));
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('reads timestamps to the millisecond, microseconds dropped, as Dates', async () => {
    const { events } = await getEventsByChannel(db, 'rows', { schema });
    expect(events.map((e) => e.occurredAt.toISOString())).toEqual(cases.map(([, iso]) => iso));
    expect(events.map((e) => e.recordedAt.toISOString())).toEqual(cases.map(([, iso]) => iso));
    expect(events.map((e) => e.payload)).toEqual(cases.map((_, i) => ({ i })));
    expect(events.map((e) => e.metadata)).toEqual(cases.map((_, i) => ({ m: i })));
    for (const e of events) {
      expect(typeof e.seq).toBe('number');
      expect(e.txId).toMatch(/^\d+$/);
      expect(e.key).toMatch(/^k\d$/);
    }
  });

  it('a table row (the redrive path) maps to the same event as the read model', async () => {
    const { events } = await getEventsByChannel(db, 'rows', { schema, tick: false });
    const { rows } = await db.query<EventRow>(
      `select ${eventColumnsSql('e', false)} from "${schema}".events e where e.channel = 'rows' order by e.seq`,
    );
    const { tick } = decodeCursor(events[0]?.position);
    expect(events).toHaveLength(cases.length);
    expect(rows.map((r) => eventFromRow(r, tick))).toEqual(events);
  });
});
