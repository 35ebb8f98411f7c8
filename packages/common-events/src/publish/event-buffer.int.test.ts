import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EventBufferClosedError,
  EventBufferFlushError,
  InvalidArgumentError,
  InvalidPayloadError,
} from '../errors.js';
import { installEventStore } from '../install.js';
import { OrderPlaced, testCatalog } from '../test-support/catalog.js';
import { holdTransaction } from '../test-support/held-transaction.js';
import { createEventBuffer, flushEventBuffer } from './event-buffer.js';

const schema = 'buffer_test';
const order = (id: string) => OrderPlaced.create({ orderId: id, total: 1 }, { key: id });

async function storedIds(db: Database<unknown>, prefix: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `select payload->>'orderId' as id from ${schema}.events where payload->>'orderId' like $1 order by seq`,
    [`${prefix}%`],
  );
  return rows.map((r) => r.id);
}

describe.each(testEngines())('event buffer on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    db = t.db;
    await installEventStore(db, { schema });
    // A real database error for chosen events: a trigger that refuses "poison" payloads.
    await db.query(`
      create function public.refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.payload->>'orderId' like 'poison%' then raise exception 'poison event refused'; end if;
        return new;
      end $$`);
    await db.query(`
      create trigger refuse_poison before insert on ${schema}.events
        for each row execute function public.refuse_poison();`);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('flushes on size without waiting for the timer', async () => {
    const buffer = createEventBuffer({ db, schema, maxBatch: 3, maxDelayMs: 60_000 });
    const published = await Promise.all(['s1', 's2', 's3'].map((id) => buffer.publish(order(id))));
    expect(published.map((p) => p.duplicate)).toEqual([false, false, false]);
    expect(await storedIds(db, 's')).toEqual(['s1', 's2', 's3']);
    await buffer.close();
  });

  it('flushes on time', async () => {
    const buffer = createEventBuffer({ db, schema, maxBatch: 1000, maxDelayMs: 10 });
    const p = await buffer.publish(order('t1'));
    expect(p.seq).toBeGreaterThan(0);
    expect(await storedIds(db, 't')).toEqual(['t1']);
    await buffer.close();
  });

  it('flushEventBuffer writes everything pending and resolves when durable', async () => {
    const buffer = createEventBuffer({ db, schema, maxBatch: 1000, maxDelayMs: 60_000 });
    const promises = ['f1', 'f2'].map((id) => buffer.publish(order(id)));
    expect(buffer.pending).toBe(2);
    await flushEventBuffer(buffer);
    expect(buffer.pending).toBe(0);
    expect(await storedIds(db, 'f')).toEqual(['f1', 'f2']);
    await Promise.all(promises);
    await buffer.flush(); // nothing pending: resolves at once
    await buffer.close();
  });

  it('close() flushes (shutdown) and then refuses new events', async () => {
    const buffer = createEventBuffer({ db, schema, maxBatch: 1000, maxDelayMs: 60_000 });
    const p = buffer.publish([order('c1'), order('c2')]);
    await buffer.close();
    expect((await p).map((x) => x.seq)).toHaveLength(2);
    expect(await storedIds(db, 'c')).toEqual(['c1', 'c2']);
    expect(buffer.closed).toBe(true);
    await expect(buffer.publish(order('c3'))).rejects.toThrow(EventBufferClosedError);
  });

  it('keeps per-publisher order across many batches', async () => {
    const buffer = createEventBuffer({ db, schema, maxBatch: 37, maxDelayMs: 1 });
    const ids = Array.from({ length: 1000 }, (_, i) => `o${String(i).padStart(4, '0')}`);
    const results = await Promise.all(ids.map((id) => buffer.publish(order(id))));
    const seqs = results.map((r) => r.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(await storedIds(db, 'o')).toEqual(ids);
    await buffer.close();
  });

  it('a database error rejects the callers of that batch with their events; nothing is lost', async () => {
    const buffer = createEventBuffer({ db, schema, maxBatch: 2, maxDelayMs: 60_000 });
    const ok1 = buffer.publish([order('e1'), order('e2')]);
    const bad = buffer.publish([order('e3'), order('poison-1')]);
    const ok2 = buffer.publish([order('e4'), order('e5')]);
    const flushed = buffer.flush();
    await expect(ok1).resolves.toHaveLength(2);
    const error = await bad.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventBufferFlushError);
    const failure = error as EventBufferFlushError<{ payload: { orderId: string } }>;
    expect(failure.code).toBe('VSA_EVENTS_FLUSH_FAILED');
    expect(failure.events.map((e) => e.payload.orderId)).toEqual(['e3', 'poison-1']);
    expect(String((failure.cause as Error).message)).toContain('poison event refused');
    await expect(ok2).resolves.toHaveLength(2);
    await expect(flushed).rejects.toThrow(EventBufferFlushError);
    expect(await storedIds(db, 'e')).toEqual(['e1', 'e2', 'e4', 'e5']);
    // The caller retries the returned events (minus the poison) and the buffer keeps working.
    const retry = buffer.publish(failure.events.filter((e) => e.payload.orderId === 'e3') as never);
    await buffer.flush();
    await retry;
    expect(await storedIds(db, 'e')).toEqual(['e1', 'e2', 'e4', 'e5', 'e3']);
    await buffer.close();
  });

  it('validates before buffering', async () => {
    const buffer = createEventBuffer({ db, schema, catalog: testCatalog });
    const bad = { ...order('v1'), payload: { orderId: 'v1', total: -5 } };
    await expect(buffer.publish(bad)).rejects.toThrow(InvalidPayloadError);
    expect(buffer.pending).toBe(0);
    await buffer.close();
  });

  it('rejects bad options', () => {
    expect(() => createEventBuffer({ db, schema, maxBatch: 0 })).toThrow(InvalidArgumentError);
    expect(() => createEventBuffer({ db, schema, maxBatch: 10, maxPending: 5 })).toThrow(
      'maxPending',
    );
    expect(() => createEventBuffer({ db, schema, maxDelayMs: -1 })).toThrow('maxDelayMs');
    expect(() => createEventBuffer({ db: {} as never, schema })).toThrow('Unsupported');
    expect(() => createEventBuffer(undefined as never)).toThrow(
      'createEventBuffer(options): expected an options object (not given)',
    );
    expect(() => createEventBuffer({ db, schema, maxBach: 5 } as never)).toThrow(
      /^createEventBuffer\(options\): unknown option "maxBach" \(accepted: db, schema, catalog, onCommit, metrics, maxBatch, maxDelayMs, maxPending, lanes\)$/,
    );
    expect(() => flushEventBuffer({} as never)).toThrow('flushEventBuffer takes');
  });

  it.runIf(engine === 'postgres')(
    'memory stays bounded while the database is slow (backpressure), order kept after',
    async () => {
      const buffer = createEventBuffer({ db, schema, maxBatch: 5, maxPending: 10, maxDelayMs: 0 });
      const blocker = await holdTransaction(db);
      await blocker.tx.query(`lock table ${schema}.events in access exclusive mode`);
      const ids = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`);
      const promises = ids.map((id) => buffer.publish(order(id)));
      await new Promise((r) => setTimeout(r, 100));
      const { queued, inFlight, waiting } = buffer.stats;
      expect(inFlight).toBe(5);
      expect(queued).toBe(10);
      expect(waiting).toBe(35);
      expect(buffer.pending).toBe(50);
      await blocker.commit();
      await Promise.all(promises);
      expect(await storedIds(db, 'm')).toEqual(ids);
      await buffer.close();
    },
  );
});

describe.each(testEngines())('event buffer lanes on %s', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    db = t.db;
    await installEventStore(db, { schema });
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('keeps per-key order across lanes and returns results in input order', async () => {
    const buffer = createEventBuffer({ db, schema, lanes: 3, maxBatch: 10, maxDelayMs: 1 });
    const events = Array.from({ length: 300 }, (_, i) =>
      OrderPlaced.create(
        { orderId: `l${String(i).padStart(3, '0')}`, total: 1 },
        { key: `key-${i % 7}` },
      ),
    );
    const single = await Promise.all(events.slice(0, 150).map((e) => buffer.publish(e)));
    const many = await buffer.publish(events.slice(150));
    const results = [...single, ...many];
    expect(results.map((r) => r.id)).toEqual(events.map((e) => e.id));
    await buffer.close();
    const { rows } = await db.query<{ id: string; key: string }>(
      `select payload->>'orderId' as id, key from ${schema}.events where payload->>'orderId' like 'l%' order by seq`,
    );
    expect(rows).toHaveLength(300);
    for (let k = 0; k < 7; k++) {
      const want = events.filter((e) => e.key === `key-${k}`).map((e) => e.payload.orderId);
      expect(rows.filter((r) => r.key === `key-${k}`).map((r) => r.id)).toEqual(want);
    }
  });

  it('validates a whole array before any lane writes, and refuses after close', async () => {
    const buffer = createEventBuffer({ db, schema, lanes: 2, catalog: testCatalog });
    const good = Array.from({ length: 10 }, (_, i) =>
      OrderPlaced.create({ orderId: `lv${i}`, total: 1 }, { key: `k${i}` }),
    );
    const bad = {
      ...OrderPlaced.create({ orderId: 'lvbad', total: 1 }),
      payload: { orderId: 'lvbad' },
    };
    await expect(buffer.publish([...good, bad])).rejects.toThrow(InvalidPayloadError);
    await buffer.flush();
    expect(await storedIds(db, 'lv')).toEqual([]);
    await expect(buffer.publish({ key: 1 } as never)).rejects.toThrow(InvalidArgumentError);
    await buffer.close();
    expect(buffer.closed).toBe(true);
    await expect(buffer.publish(good[0] as never)).rejects.toThrow(EventBufferClosedError);
    expect(() => createEventBuffer({ db, schema, lanes: 0 })).toThrow(
      'createEventBuffer(options): lanes: must be an integer from 1 to 64 (got 0)',
    );
  });
});
