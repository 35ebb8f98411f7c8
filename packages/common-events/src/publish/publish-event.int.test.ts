import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { withLogContext } from '@vsa/common-logging';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../envelope.js';
import { InvalidPayloadError, UnknownEventTypeError, UnsupportedExecutorError } from '../errors.js';
import { installEventStore } from '../install.js';
import { getEventsByChannel } from '../read/get-events-by-channel.js';
import {
  OrderPlaced,
  OrderShipped,
  OrderShippedV1,
  PaymentCaptured,
  testCatalog,
} from '../test-support/catalog.js';
import { holdTransaction } from '../test-support/held-transaction.js';
import { MAX_EVENTS_PER_PUBLISH, publishEvent } from './publish-event.js';

const schema = 'publish_test';

async function all(
  db: Database<unknown>,
  channel: string,
  options: object = {},
): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await getEventsByChannel(db, channel, {
      schema,
      catalog: testCatalog,
      limit: 1000,
      ...options,
      ...(after === undefined ? {} : { after }),
    });
    out.push(...page.events);
    after = page.nextCursor;
    if (page.events.length === 0) return out;
  }
}

describe.each(testEngines())('publishEvent on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    db = t.db;
    await installEventStore(db, { schema });
    await db.query('create table public.biz (id text primary key)');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('writes every field and returns ids and positions in input order', async () => {
    const events = [
      OrderPlaced.create({ orderId: 'f1', total: 3 }, { key: 'f1', metadata: { tenant: 't1' } }),
      PaymentCaptured.create({ paymentId: 'p1', amount: 3 }),
    ];
    const published = await publishEvent(db, events, { schema });
    expect(published.map((p) => p.id)).toEqual(events.map((e) => e.id));
    expect(published[1]?.seq).toBeGreaterThan(published[0]?.seq ?? Number.POSITIVE_INFINITY);
    const [read] = (await all(db, 'orders')).filter((e) => e.id === events[0]?.id);
    expect(read).toMatchObject({
      id: events[0]?.id,
      channel: 'orders',
      type: 'OrderPlaced',
      version: 1,
      key: 'f1',
      payload: { orderId: 'f1', total: 3 },
      metadata: { tenant: 't1' },
      idempotencyKey: null,
      seq: published[0]?.seq,
    });
    expect(read?.occurredAt.getTime()).toBe(events[0]?.occurredAt.getTime());
    expect(read?.txId).toMatch(/^\d+$/);
    const single = await publishEvent(db, OrderPlaced.create({ orderId: 'f2', total: 1 }), {
      schema,
    });
    expect(single).toMatchObject({ channel: 'orders', type: 'OrderPlaced', duplicate: false });
  });

  it('keeps occurredAt to the millisecond in a batch, before 1970 and far ahead too', async () => {
    const moments = [
      '1969-07-20T20:17:40.999Z',
      '2026-11-30T14:07:54.001Z',
      '2999-12-31T23:59:59.999Z',
    ];
    const events = moments.map((iso, i) =>
      OrderPlaced.create({ orderId: `t${i}`, total: 1 }, { occurredAt: new Date(iso) }),
    );
    await publishEvent(db, events, { schema });
    const ids = new Set(events.map((e) => e.id));
    const read = (await all(db, 'orders')).filter((e) => ids.has(e.id));
    expect(read.map((e) => e.occurredAt.toISOString())).toEqual(moments);
  });

  it('15: an invalid payload fails inside the business transaction before anything is written', async () => {
    const before = (await all(db, 'orders')).length;
    const bad = { ...OrderPlaced.create({ orderId: 'x', total: 1 }), payload: { orderId: 7 } };
    await expect(
      db.transaction(async (tx) => {
        await tx.query("insert into public.biz values ('b1')");
        await publishEvent(tx, [OrderPlaced.create({ orderId: 'ok', total: 1 }), bad], {
          schema,
          catalog: testCatalog,
        });
      }),
    ).rejects.toThrow(InvalidPayloadError);
    expect((await db.query('select * from public.biz')).rows).toEqual([]);
    expect(await all(db, 'orders')).toHaveLength(before);
    // The transaction stays usable when the caller catches the validation error.
    await db.transaction(async (tx) => {
      await expect(
        publishEvent(tx, { ...bad, type: 'Nope' }, { schema, catalog: testCatalog }),
      ).rejects.toThrow(UnknownEventTypeError);
      await tx.query("insert into public.biz values ('b2')");
    });
    expect((await db.query('select id from public.biz')).rows).toEqual([{ id: 'b2' }]);
  });

  it('15: old versions are upcast on read', async () => {
    await publishEvent(db, OrderShippedV1.create({ orderId: 's1', carrier: 'ups' }), { schema });
    await publishEvent(db, OrderShipped.create({ orderId: 's2', carrier: { name: 'dhl' } }), {
      schema,
    });
    const shipped = (await all(db, 'orders', { types: ['OrderShipped'] })).map((e) => [
      e.version,
      e.storedVersion,
      e.payload,
    ]);
    expect(shipped).toEqual([
      [2, 1, { orderId: 's1', carrier: { name: 'ups' } }],
      [2, 2, { orderId: 's2', carrier: { name: 'dhl' } }],
    ]);
  });

  it('fills correlation and causation ids from the log context', async () => {
    const event = OrderPlaced.create({ orderId: 'ctx', total: 1 });
    await withLogContext({ requestId: 'req-1', correlationId: 'corr-1', traceparent: 'tp' }, () =>
      publishEvent(db, event, { schema }),
    );
    const handled = OrderPlaced.create(
      { orderId: 'ctx2', total: 1 },
      { metadata: { correlationId: 'mine' } },
    );
    await withLogContext({ correlationId: 'corr-2', eventId: 'evt-9' }, () =>
      publishEvent(db, handled, { schema }),
    );
    const byId = new Map((await all(db, 'orders')).map((e) => [e.id, e.metadata]));
    expect(byId.get(event.id)).toEqual({
      correlationId: 'corr-1',
      causationId: 'req-1',
      traceparent: 'tp',
    });
    expect(byId.get(handled.id)).toEqual({ correlationId: 'mine', causationId: 'evt-9' });
  });

  it('idempotency key: the same key on a channel returns the first event, also inside one call', async () => {
    const first = OrderPlaced.create({ orderId: 'i1', total: 1 }, { idempotencyKey: 'idem-1' });
    const again = OrderPlaced.create(
      { orderId: 'i1-again', total: 1 },
      { idempotencyKey: 'idem-1' },
    );
    const other = PaymentCaptured.create(
      { paymentId: 'i1', amount: 1 },
      { idempotencyKey: 'idem-1' },
    );
    const [a] = await publishEvent(db, [first], { schema });
    const [b, c, d] = await publishEvent(db, [again, other, again], { schema });
    expect(a).toMatchObject({ id: first.id, duplicate: false });
    expect(b).toMatchObject({ id: first.id, seq: a?.seq, duplicate: true });
    expect(c).toMatchObject({ id: other.id, duplicate: false }); // another channel: independent
    expect(d).toMatchObject({ id: first.id, duplicate: true });
    const within = [
      OrderPlaced.create({ orderId: 'w1', total: 1 }, { idempotencyKey: 'idem-w' }),
      OrderPlaced.create({ orderId: 'w2', total: 1 }, { idempotencyKey: 'idem-w' }),
      OrderPlaced.create({ orderId: 'w3', total: 1 }),
    ];
    const r = await publishEvent(db, within, { schema });
    expect(r.map((p) => [p.id, p.duplicate])).toEqual([
      [within[0]?.id, false],
      [within[0]?.id, true],
      [within[2]?.id, false],
    ]);
    const ids = (await all(db, 'orders')).map((e) => (e.payload as { orderId: string }).orderId);
    expect(ids.filter((i) => i.startsWith('i1') || i.startsWith('w'))).toEqual(['i1', 'w1', 'w3']);
  });

  it('lockKeys takes per-key locks and still writes one batch', async () => {
    const events = ['a', 'b', 'a'].map((key, i) =>
      OrderPlaced.create({ orderId: `lk${i}`, total: 1 }, { key }),
    );
    await db.transaction(async (tx) => {
      await publishEvent(tx, events, { schema, lockKeys: true });
      const { rows } = await tx.query<{ n: number }>(
        "select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()",
      );
      if (engine === 'postgres') expect(rows[0]?.n).toBe(2);
    });
    const ids = (await all(db, 'orders')).map((e) => (e.payload as { orderId: string }).orderId);
    expect(ids.filter((i) => i.startsWith('lk'))).toEqual(['lk0', 'lk1', 'lk2']);
  });

  it('reads one partition of a channel', async () => {
    const events = Array.from({ length: 40 }, (_, i) =>
      PaymentCaptured.create({ paymentId: `pp${i}`, amount: i }, { key: `k${i % 10}` }),
    );
    await publishEvent(db, events, { schema });
    const parts = await Promise.all(
      [0, 1, 2].map((partition) => all(db, 'payments', { partitions: 3, partition })),
    );
    const seen = parts.flat().map((e) => e.id);
    expect(new Set(seen).size).toBe(seen.length);
    const everything = await all(db, 'payments');
    expect(seen.sort()).toEqual(everything.map((e) => e.id).sort());
    // One key lives in exactly one partition.
    for (const part of parts) {
      for (const e of part.filter((x) => x.key !== null)) {
        expect(parts.filter((p) => p.some((x) => x.key === e.key))).toHaveLength(1);
      }
    }
  });

  it('rejects unsupported executors, oversized batches and bad options before writing', async () => {
    const e = OrderPlaced.create({ orderId: 'u', total: 1 });
    await expect(publishEvent({} as never, e, { schema })).rejects.toThrow(
      UnsupportedExecutorError,
    );
    await expect(publishEvent(db, e, { schema: 'Bad-Name' })).rejects.toThrow(
      'Invalid schema name',
    );
    const many = new Array(MAX_EVENTS_PER_PUBLISH + 1).fill(e);
    await expect(publishEvent(db, many, { schema })).rejects.toThrow('Too many events');
    await expect(publishEvent(db, { ...e, id: 'x' }, { schema })).rejects.toThrow('"id"');
    for (const payload of [undefined, () => 1, Symbol('s')]) {
      await expect(publishEvent(db, [e, { ...e, payload } as never], { schema })).rejects.toThrow(
        'Invalid event field "payload"',
      );
    }
    expect(await publishEvent(db, [], { schema })).toEqual([]);
    await expect(getEventsByChannel(db, '', { schema })).rejects.toThrow('channel');
    await expect(getEventsByChannel(db, 'orders', { schema, limit: 0 })).rejects.toThrow('limit');
    await expect(
      getEventsByChannel(db, 'orders', { schema, partitions: 2, partition: 2 }),
    ).rejects.toThrow('partition');
    await expect(getEventsByChannel(db, 'orders', { schema, after: 'zz' })).rejects.toThrow(
      'Invalid cursor',
    );
  });
});

describe.runIf(testEngines().includes('postgres'))(
  'concurrent idempotent publish on postgres',
  () => {
    let t: TestDatabase;

    beforeAll(async () => {
      t = await createTestDatabase({ engine: 'postgres' });
      await installEventStore(t.db, { schema });
    });
    afterAll(async () => {
      await t?.drop();
    });

    it.each([
      ['commits', true],
      ['rolls back', false],
    ])(
      'a concurrent duplicate waits; when the first %s it gets the right answer',
      async (_, commit) => {
        const key = `conc-${commit}`;
        const first = OrderPlaced.create(
          { orderId: `${key}-1`, total: 1 },
          { idempotencyKey: key },
        );
        const second = OrderPlaced.create(
          { orderId: `${key}-2`, total: 1 },
          { idempotencyKey: key },
        );
        const a = await holdTransaction(t.db);
        await publishEvent(a.tx, first, { schema });
        const b = await holdTransaction(t.db);
        const pending = publishEvent(b.tx, second, { schema });
        await new Promise((r) => setTimeout(r, 100)); // b is now blocked on the unique index
        if (commit) await a.commit();
        else await a.rollback();
        const result = await pending;
        await b.commit();
        expect(result).toMatchObject(
          commit ? { id: first.id, duplicate: true } : { id: second.id, duplicate: false },
        );
        const rows = await t.db.query(
          'select id::text from publish_test.events where idempotency_key = $1',
          [key],
        );
        expect(rows.rows).toEqual([{ id: commit ? first.id : second.id }]);
      },
    );

    it('works on a plain pg client as well', async () => {
      const client = new pg.Client({ connectionString: t.url });
      await client.connect();
      try {
        await client.query('begin');
        const p = await publishEvent(client, OrderPlaced.create({ orderId: 'pgc', total: 1 }), {
          schema,
        });
        await client.query('commit');
        expect(p.seq).toBeGreaterThan(0);
      } finally {
        await client.end();
      }
    });
  },
);
