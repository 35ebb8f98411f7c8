import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventEnvelope } from '../envelope.js';
import { EventBufferFlushError } from '../errors.js';
import { installEventStore } from '../install.js';
import { OrderPlaced } from '../test-support/catalog.js';
import { copyEvents } from './copy-events.js';
import { createEventBuffer } from './event-buffer.js';

const schema = 'copy_test';
const order = (id: string, key: string | null = id) =>
  OrderPlaced.create({ orderId: id, total: 1 }, { key });

// The COPY path exists only on node-postgres: these run where PostgreSQL is configured.
describe.runIf(testEngines().includes('postgres'))('buffer COPY path on PostgreSQL', () => {
  let t: TestDatabase;
  let db: Database<unknown>;
  let pool: pg.Pool;

  /** Which statement kinds wrote events since the last reset ("copy" / "insert"). */
  async function writers(): Promise<string[]> {
    const { rows } = await db.query<{ q: string }>('select q from public.writes order by n');
    return rows.map((r) => r.q);
  }

  beforeAll(async () => {
    t = await createTestDatabase({ engine: 'postgres' });
    db = t.db;
    pool = new pg.Pool({ connectionString: t.url, max: 2 });
    await installEventStore(db, { schema });
    // A statement trigger records the top-level statement of every write: proof of the path.
    await db.query('create table public.writes (n serial, q text)');
    await db.query(`
      create function public.log_write() returns trigger language plpgsql as $$
      begin
        insert into public.writes (q) values (lower(split_part(ltrim(current_query()), ' ', 1)));
        return null;
      end $$`);
    await db.query(`create trigger log_write after insert on ${schema}.events
      for each statement execute function public.log_write()`);
    await db.query(`
      create function public.refuse_poison() returns trigger language plpgsql as $$
      begin
        if new.payload->>'orderId' like 'poison%' then raise exception 'poison event refused'; end if;
        return new;
      end $$`);
    await db.query(`create trigger refuse_poison before insert on ${schema}.events
      for each row execute function public.refuse_poison()`);
  });
  beforeEach(async () => {
    await db.query('truncate public.writes');
  });
  afterAll(async () => {
    await pool?.end();
    await t?.drop();
  });

  it('round-trips payloads, metadata and keys with tabs, newlines, CR, backslashes, unicode and quotes', async () => {
    const nasty = [
      'tab\there',
      'line\nbreak',
      'cr\rlf\r\n',
      'back\\slash \\N \\\\ \\t',
      'quotes " \' `',
      'unicode ü ß 漢字 🎉 \u2028',
      '',
      '\\N',
    ];
    const events: EventEnvelope[] = nasty.map((text, i) => ({
      ...OrderPlaced.create({ orderId: `n${i}`, total: 1 }, { key: `key\t${text}` }),
      payload: { orderId: `n${i}`, total: 1, text, nested: { list: [text, null, 1.5] } },
      metadata: { correlationId: `c\n${text}`, note: text },
    }));
    const buffer = createEventBuffer({ db: pool, schema, copyMinBatch: 1, maxDelayMs: 60_000 });
    const pending = buffer.publish(events);
    await buffer.flush();
    const published = await pending;
    expect(await writers()).toEqual(['copy']);
    const { rows } = await db.query<{
      seq: string;
      id: string;
      key: string;
      payload: unknown;
      metadata: unknown;
      tx_id: string | null;
      idempotency_key: string | null;
      occurred_at: Date;
    }>(
      `select seq::text, id::text, key, payload, metadata, tx_id::text, idempotency_key, occurred_at
         from ${schema}.events where payload->>'orderId' like 'n%' order by seq`,
    );
    expect(rows.map((r) => r.id)).toEqual(events.map((e) => e.id));
    expect(rows.map((r) => Number(r.seq))).toEqual(published.map((p) => p.seq));
    rows.forEach((r, i) => {
      const e = events[i] as EventEnvelope;
      expect(r.key).toBe(e.key);
      expect(r.payload).toEqual(e.payload);
      expect(r.metadata).toEqual(e.metadata);
      expect(r.idempotency_key).toBeNull();
      expect(r.occurred_at.getTime()).toBe(e.occurredAt.getTime());
    });
    // tx_id default applied: one transaction for the whole COPY.
    expect(new Set(rows.map((r) => r.tx_id)).size).toBe(1);
    expect(rows[0]?.tx_id).not.toBeNull();
    await buffer.close();
  });

  it('stores a null key as NULL and a "\\N" key as text', async () => {
    const events = [order('k1', null), order('k2', '\\N')];
    await copyEvents(pool, schema, events);
    const { rows } = await db.query<{ key: string | null }>(
      `select key from ${schema}.events where payload->>'orderId' in ('k1', 'k2') order by seq`,
    );
    expect(rows.map((r) => r.key)).toEqual([null, '\\N']);
  });

  it('a database error mid-COPY rejects the batch with its events, stores none of them, and the next batch works', async () => {
    const buffer = createEventBuffer({ db: pool, schema, maxBatch: 100, copyMinBatch: 50 });
    const ids = Array.from({ length: 100 }, (_, i) => (i === 60 ? 'poison-m' : `m${i}`));
    const bad = buffer.publish(ids.map((id) => order(id)));
    const error = await bad.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EventBufferFlushError);
    const failure = error as EventBufferFlushError<{ payload: { orderId: string } }>;
    expect(failure.events.map((e) => e.payload.orderId)).toEqual(ids);
    expect(String((failure.cause as Error).message)).toContain('poison event refused');
    const { rows } = await db.query<{ n: number }>(
      `select count(*)::int as n from ${schema}.events where payload->>'orderId' like 'm%'`,
    );
    expect(rows[0]?.n).toBe(0);
    // The connection went back to the pool usable; the retry (minus the poison) goes through.
    const retry = failure.events.filter((e) => e.payload.orderId !== 'poison-m') as never[];
    const done = await buffer.publish(retry);
    expect(done).toHaveLength(99);
    expect(await writers()).toEqual(['copy']);
    expect(pool.totalCount).toBeLessThanOrEqual(2);
    await buffer.close();
  });

  it('a batch with any idempotency key goes through INSERT … ON CONFLICT, in order', async () => {
    const buffer = createEventBuffer({ db: pool, schema, copyMinBatch: 1 });
    const first = await buffer.publish([
      order('i1'),
      { ...order('i2'), idempotencyKey: 'idem-1' },
      order('i3'),
    ]);
    expect(await writers()).toEqual(['insert']);
    const again = await buffer.publish([order('i4'), { ...order('i5'), idempotencyKey: 'idem-1' }]);
    expect(again[1]?.duplicate).toBe(true);
    expect(again[1]?.id).toBe(first[1]?.id);
    // A later batch without keys is COPY again.
    await buffer.publish([order('i6'), order('i7')]);
    expect(await writers()).toEqual(['insert', 'insert', 'copy']);
    const { rows } = await db.query<{ id: string }>(
      `select payload->>'orderId' as id from ${schema}.events where payload->>'orderId' like 'i%' order by seq`,
    );
    expect(rows.map((r) => r.id)).toEqual(['i1', 'i2', 'i3', 'i4', 'i6', 'i7']);
    await buffer.close();
  });

  it('uses INSERT below copyMinBatch, with copy: false, and on a common-db Database', async () => {
    const small = createEventBuffer({ db: pool, schema, copyMinBatch: 3 });
    await small.publish([order('s1'), order('s2')]);
    await small.publish([order('s3'), order('s4'), order('s5')]);
    await small.close();
    const off = createEventBuffer({ db: pool, schema, copy: false, copyMinBatch: 1 });
    await off.publish([order('s6'), order('s7')]);
    await off.close();
    const viaDb = createEventBuffer({ db, schema, copyMinBatch: 1 });
    await viaDb.publish([order('s8'), order('s9')]);
    await viaDb.close();
    expect(await writers()).toEqual(['insert', 'copy', 'insert', 'insert']);
    expect(() => createEventBuffer({ db: pool, schema, copy: 'yes' as never })).toThrow('copy');
    expect(() => createEventBuffer({ db: pool, schema, copyMinBatch: 0 })).toThrow('copyMinBatch');
  });

  /** The stored seq of every event id. */
  async function storedSeqs(ids: readonly string[]): Promise<Map<string, number>> {
    const { rows } = await db.query<{ id: string; seq: string }>(
      `select id::text, seq::text from ${schema}.events where id = any($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, Number(r.seq)]));
  }

  it('returns the stored seqs when other writers draw seqs during the COPY', async () => {
    // A row trigger that draws an extra seq after a marker row: the batch is not contiguous.
    await db.query(`
      create function public.burn_seq() returns trigger language plpgsql as $$
      begin
        if new.payload->>'orderId' like 'burn%' then
          perform nextval(pg_get_serial_sequence('${schema}.events', 'seq'));
        end if;
        return new;
      end $$`);
    await db.query(`create trigger burn_seq before insert on ${schema}.events
      for each row execute function public.burn_seq()`);
    try {
      // Marker in the middle (found by transaction id) and last (found by id).
      for (const ids of [
        ['b1', 'burn-mid', 'b2'],
        ['b3', 'b4', 'burn-last'],
      ]) {
        const events = ids.map((id) => order(id));
        const result = await copyEvents(pool, schema, events);
        const stored = await storedSeqs(events.map((e) => e.id));
        expect(result.map((r) => r.seq)).toEqual(events.map((e) => stored.get(e.id)));
        expect(result.map((r) => r.id)).toEqual(events.map((e) => e.id));
      }
    } finally {
      await db.query(`drop trigger burn_seq on ${schema}.events`);
    }
    // Four lanes writing at once interleave their seqs for real.
    const buffer = createEventBuffer({ db: pool, schema, lanes: 4, copyMinBatch: 1, maxBatch: 50 });
    const events = Array.from({ length: 2000 }, (_, i) => order(`x${i}`, `k${i % 13}`));
    const result = await Promise.all(events.map((e) => buffer.publish(e)));
    await buffer.close();
    const stored = await storedSeqs(events.map((e) => e.id));
    expect(result.map((r) => r.seq)).toEqual(events.map((e) => stored.get(e.id)));
  });

  it('calls onCommit only after the COPY committed, with the stored seqs', async () => {
    const seen: { seq: number; visible: number }[] = [];
    let check: Promise<void> = Promise.resolve();
    const buffer = createEventBuffer({
      db: pool,
      schema,
      copyMinBatch: 1,
      onCommit: (published) => {
        check = (async () => {
          const { rows } = await db.query<{ n: number }>(
            `select count(*)::int as n from ${schema}.events where seq = any($1::bigint[])`,
            [published.map((p) => p.seq)],
          );
          seen.push({ seq: published.length, visible: rows[0]?.n ?? -1 });
        })();
      },
    });
    await buffer.publish([order('o1'), order('o2'), order('o3')]);
    await check;
    expect(seen).toEqual([{ seq: 3, visible: 3 }]);
    await buffer.close();
  });
});
