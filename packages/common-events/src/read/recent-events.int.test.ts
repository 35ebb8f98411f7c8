import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installEventStore } from '../install.js';
import { publishEvent } from '../publish/publish-event.js';
import { getEventsBySeq, getRecentEvents } from './recent-events.js';

const schema = 'recent_test';

const event = (channel: string, n: number) => ({
  id: crypto.randomUUID(),
  channel,
  type: 'Counted',
  version: 1,
  key: `k${n}`,
  payload: { n },
  metadata: {},
  occurredAt: new Date(),
  idempotencyKey: null,
});

describe.each(testEngines())('recent events on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;
  let seqs: number[];

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    db = t.db;
    await installEventStore(db, { schema });
    const published = await publishEvent(
      db,
      [1, 2, 3, 4, 5].map((n) => event('tail', n)),
      { schema },
    );
    seqs = published.map((p) => p.seq);
    await publishEvent(db, event('other', 9), { schema });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("returns a channel's newest events first, at most limit, other channels left out", async () => {
    const tail = await getRecentEvents(db, 'tail', { limit: 3, schema });
    expect(tail.map((e) => e.payload)).toEqual([{ n: 5 }, { n: 4 }, { n: 3 }]);
    expect(tail[0]).toMatchObject({ channel: 'tail', type: 'Counted', version: 1, key: 'k5' });
    expect(tail[0]?.recordedAt).toBeInstanceOf(Date);
    expect(await getRecentEvents(db, 'nothing-here', { schema })).toEqual([]);
  });

  it('looks events up by seq; a seq with no event is absent', async () => {
    const found = await getEventsBySeq(db, [seqs[1] as number, 999_999], { schema });
    expect([...found.keys()]).toEqual([seqs[1]]);
    expect(found.get(seqs[1] as number)?.payload).toEqual({ n: 2 });
    expect(await getEventsBySeq(db, [], { schema })).toEqual(new Map());
  });

  it('refuses bad input before any query, naming what is wrong', async () => {
    await expect(getRecentEvents(db, '', { schema })).rejects.toThrow(
      /^getRecentEvents\(db, channel, options\): channel must be a non-empty string/,
    );
    await expect(getRecentEvents(db, 'tail', { limit: 0, schema })).rejects.toThrow(
      /limit: must be an integer from 1 to 1000/,
    );
    await expect(getRecentEvents(db, 'tail', { limt: 3 } as never)).rejects.toThrow(
      /unknown option "limt" \(accepted: limit, schema\)/,
    );
    await expect(getEventsBySeq(db, [1.5], { schema })).rejects.toThrow(
      /seqs must be an array of at most 1000 positive integers/,
    );
    await expect(getEventsBySeq(db, [1], { schema: 'Bad-Schema' })).rejects.toThrow(/schema/);
  });
});
