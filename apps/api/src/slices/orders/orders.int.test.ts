import { testEngines } from '@vsa/common-db/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Infrastructure } from '../../infrastructure.js';
import { type ApiServer, buildServer } from '../../server.js';
import { createTestInfrastructure } from '../../test-infrastructure.js';
import { captureLogger, testSettings } from '../../test-support.js';
import { deleteExpiredIdempotencyKeys } from './idempotency-keys.js';

describe.each(testEngines())('orders slice on %s', (engine) => {
  let infrastructure: Infrastructure;
  let app: ApiServer;

  beforeAll(async () => {
    infrastructure = await createTestInfrastructure(engine);
    app = await buildServer({
      settings: testSettings,
      logger: captureLogger().logger,
      infrastructure,
    });
  });
  afterAll(async () => {
    await app?.close();
    await infrastructure?.close();
  });

  async function orderEvents() {
    await infrastructure.bus.ticker.tick();
    return (await infrastructure.bus.read('orders', { limit: 1000 })).events;
  }

  it('stores the order and publishes OrderPlaced with the request correlation id', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'x-request-id': 'req-order-1' },
      payload: {
        customer: 'ada',
        lines: [
          { sku: 'B-2', quantity: 1 },
          { sku: 'A-1', quantity: 2 },
        ],
      },
    });
    expect(response.statusCode).toBe(201);
    const order = response.json();
    expect(order).toMatchObject({
      customer: 'ada',
      status: 'placed',
      lines: [
        { sku: 'A-1', quantity: 2 },
        { sku: 'B-2', quantity: 1 },
      ],
    });

    const fetched = await app.inject({ method: 'GET', url: `/orders/${order.id}` });
    expect(fetched.statusCode).toBe(200);
    // The status may have moved on already (inventory rejects: no stock recorded).
    expect({ ...fetched.json(), status: 'placed' }).toEqual(order);

    const events = (await orderEvents()).filter((event) => event.key === order.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      channel: 'orders',
      type: 'OrderPlaced',
      version: 1,
      payload: { orderId: order.id, customer: 'ada', lines: order.lines },
      metadata: { correlationId: 'req-order-1' },
    });
  });

  it.skipIf(engine !== 'postgres').each([
    { lines: [{ sku: 'A-1', quantity: 2 }] },
    {
      lines: [
        { sku: 'B-2', quantity: 1 },
        { sku: 'A-1', quantity: 2 },
      ],
    },
  ])(
    'writes the order and $lines.length line(s) in one statement and reads nothing back',
    async ({ lines }) => {
      // A driver hook, not a mock: every statement still runs; this only records the text.
      const statements: string[] = [];
      const query = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const first = args[0];
        statements.push(
          typeof first === 'string' ? first : String((first as { text?: string })?.text),
        );
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      let response: Awaited<ReturnType<typeof app.inject>>;
      try {
        response = await app.inject({
          method: 'POST',
          url: '/orders',
          payload: { customer: 'grace', lines },
        });
      } finally {
        pg.Client.prototype.query = query;
      }
      expect(response.statusCode).toBe(201);
      expect(response.json().lines).toEqual(
        [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)),
      );
      // The same round trips as a bare pg route: BEGIN, this statement, the event, COMMIT.
      // (The status consumers may UPDATE an earlier order meanwhile: not this request's.)
      const orderTables = statements.filter(
        (sql) => /"(Order|OrderLine)"/.test(sql) && !/^\s*update/i.test(sql),
      );
      expect(orderTables).toHaveLength(1);
      expect(orderTables[0]).toMatch(/^with o as \(\s*insert into "Order"/);
      expect(orderTables[0]).toMatch(/insert into "OrderLine"/);
      const fetched = await app.inject({ method: 'GET', url: `/orders/${response.json().id}` });
      expect({ ...fetched.json(), status: 'placed' }).toEqual(response.json());
    },
  );

  it('rejects a bad body with a 400 problem listing every field, and writes nothing', async () => {
    const before = (await orderEvents()).length;
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customer: '', lines: [{ sku: 'A 1', quantity: 0 }] },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const pointers = response.json().errors.map((error: { pointer: string }) => error.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining(['/body/customer', '/body/lines/0/sku', '/body/lines/0/quantity']),
    );
    const rows = await infrastructure.db.sql<{
      n: string;
    }>`select count(*) as n from "Order" where customer = ''`;
    expect(rows[0]?.n).toBe('0');
    expect(await orderEvents()).toHaveLength(before);
  });

  it('rejects NUL in a text field with a 400 problem at validation (PostgreSQL text cannot hold it)', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'content-type': 'application/json' },
      payload: '{"customer":"a\\u0000b","lines":[{"sku":"A-1","quantity":1}]}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().errors[0].pointer).toBe('/body/customer');
  });

  it('rejects two lines of one SKU with a 400 problem', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: {
        customer: 'ada',
        lines: [
          { sku: 'A-1', quantity: 1 },
          { sku: 'A-1', quantity: 2 },
        ],
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].pointer).toBe('/body/lines');
  });

  it('replays the first response for the same Idempotency-Key and body, 422 for another body', async () => {
    const payload = { customer: 'idem', lines: [{ sku: 'A-1', quantity: 1 }] };
    const headers = { 'idempotency-key': 'key-replay-1' };
    const first = await app.inject({ method: 'POST', url: '/orders', headers, payload });
    expect(first.statusCode).toBe(201);
    const again = await app.inject({ method: 'POST', url: '/orders', headers, payload });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers['idempotent-replayed']).toBe('true');

    const other = await app.inject({
      method: 'POST',
      url: '/orders',
      headers,
      payload: { ...payload, lines: [{ sku: 'A-1', quantity: 2 }] },
    });
    expect(other.statusCode).toBe(422);
    expect(other.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(other.json().code).toBe('ORDERS_IDEMPOTENCY_KEY_REUSED');
    const rows = await infrastructure.db.sql<{
      n: string;
    }>`select count(*) as n from "Order" where customer = 'idem'`;
    expect(rows[0]?.n).toBe('1');
  });

  /** Moves a key's first use `ms` into the past, as if that much time had gone by. */
  async function ageKey(key: string, ms: number): Promise<void> {
    await infrastructure.db.prisma.idempotencyKey.update({
      where: { key },
      data: { createdAt: new Date(Date.now() - ms) },
    });
  }

  it('treats an Idempotency-Key older than IDEMPOTENCY_KEY_TTL_MS as new: another body places a new order', async () => {
    const headers = { 'idempotency-key': 'key-expired-1' };
    const payload = { customer: 'expiry', lines: [{ sku: 'A-1', quantity: 1 }] };
    const first = await app.inject({ method: 'POST', url: '/orders', headers, payload });
    expect(first.statusCode).toBe(201);
    await ageKey('key-expired-1', testSettings.IDEMPOTENCY_KEY_TTL_MS + 60_000);

    const otherBody = { ...payload, lines: [{ sku: 'A-1', quantity: 3 }] };
    const second = await app.inject({
      method: 'POST',
      url: '/orders',
      headers,
      payload: otherBody,
    });
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(second.json().id).not.toBe(first.json().id);
    // The key now belongs to the second request: a retry of it replays its response.
    const retry = await app.inject({ method: 'POST', url: '/orders', headers, payload: otherBody });
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json()).toEqual(second.json());
    // A key just inside its lifetime still refuses another body.
    await ageKey('key-expired-1', testSettings.IDEMPOTENCY_KEY_TTL_MS - 60_000);
    const reused = await app.inject({ method: 'POST', url: '/orders', headers, payload });
    expect(reused.statusCode).toBe(422);
  });

  it('deletes expired Idempotency-Keys in batches off the request path, keeping live ones', async () => {
    const ttl = testSettings.IDEMPOTENCY_KEY_TTL_MS;
    for (const key of ['sweep-old-1', 'sweep-old-2', 'sweep-old-3', 'sweep-live']) {
      const response = await app.inject({
        method: 'POST',
        url: '/orders',
        headers: { 'idempotency-key': key },
        payload: { customer: 'sweep', lines: [{ sku: 'A-1', quantity: 1 }] },
      });
      expect(response.statusCode).toBe(201);
    }
    for (const key of ['sweep-old-1', 'sweep-old-2', 'sweep-old-3']) await ageKey(key, ttl + 1);
    // Batches of two: the loop goes on until a short batch.
    expect(await deleteExpiredIdempotencyKeys(infrastructure.db, ttl, 2)).toBeGreaterThanOrEqual(3);
    const left = await infrastructure.db.prisma.idempotencyKey.findMany({
      where: { key: { startsWith: 'sweep-' } },
      select: { key: true },
    });
    expect(left.map((row) => row.key)).toEqual(['sweep-live']);
    expect(await deleteExpiredIdempotencyKeys(infrastructure.db, ttl)).toBe(0);
  });

  it('sweeps without Prisma: the sweep at start does not load its query engine', async () => {
    const ttl = testSettings.IDEMPOTENCY_KEY_TTL_MS;
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'idempotency-key': 'sweep-raw-old' },
      payload: { customer: 'sweep', lines: [{ sku: 'A-1', quantity: 1 }] },
    });
    expect(response.statusCode).toBe(201);
    await ageKey('sweep-raw-old', ttl + 1);
    const db = infrastructure.db;
    const withoutPrisma = Object.create(db, {
      prisma: {
        get() {
          throw new Error('the sweep used Prisma');
        },
      },
    }) as typeof db;
    expect(await deleteExpiredIdempotencyKeys(withoutPrisma, ttl)).toBeGreaterThanOrEqual(1);
    const left = await db.sql<{ key: string }>`
      select key from "IdempotencyKey" where key = 'sweep-raw-old'`;
    expect(left).toEqual([]);
  });

  it('makes one order of concurrent requests with one Idempotency-Key', async () => {
    const payload = { customer: 'racer', lines: [{ sku: 'A-1', quantity: 1 }] };
    const headers = { 'idempotency-key': 'key-race-1' };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.inject({ method: 'POST', url: '/orders', headers, payload }),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    const rows = await infrastructure.db.sql<{
      n: string;
    }>`select count(*) as n from "Order" where customer = 'racer'`;
    expect(rows[0]?.n).toBe('1');
    const events = (await orderEvents()).filter((e) => e.key === responses[0]?.json().id);
    expect(events).toHaveLength(1);
  });

  it("pages a customer's orders newest first with an opaque cursor", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await app.inject({
        method: 'POST',
        url: '/orders',
        payload: { customer: 'pager', lines: [{ sku: `P-${i}`, quantity: 1 }] },
      });
      ids.push(r.json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page = await app.inject({
        method: 'GET',
        url: `/orders?customer=pager&limit=2${query}`,
      });
      expect(page.statusCode).toBe(200);
      const body = page.json();
      expect(body.orders.length).toBeLessThanOrEqual(2);
      seen.push(...body.orders.map((o: { id: string }) => o.id));
      cursor = body.nextCursor;
    } while (cursor !== null);
    // Every order exactly once across the pages (orders of one millisecond order by id).
    expect(seen).toHaveLength(ids.length);
    expect(new Set(seen)).toEqual(new Set(ids));

    const bad = await app.inject({ method: 'GET', url: '/orders?customer=pager&cursor=bm9wZQ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('ORDERS_INVALID_CURSOR');
  });

  it('answers an unknown order with a 404 problem coded ORDERS_NOT_FOUND', async () => {
    const id = '018f0000-0000-7000-8000-000000000000';
    const response = await app.inject({ method: 'GET', url: `/orders/${id}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({
      code: 'ORDERS_NOT_FOUND',
      detail: `Order ${id} not found`,
    });
  });

  it('answers a malformed order id with a 400 problem', async () => {
    const response = await app.inject({ method: 'GET', url: '/orders/not-a-uuid' });
    expect(response.statusCode).toBe(400);
    expect(response.json().errors[0].pointer).toBe('/params/id');
  });
});
