import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Infrastructure } from '../../infrastructure.js';
import { type ApiServer, buildServer } from '../../server.js';
import { createTestInfrastructure } from '../../test-infrastructure.js';
import { captureLogger, testSettings } from '../../test-support.js';

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
      payload: { customer: 'ada', total: 4200 },
    });
    expect(response.statusCode).toBe(201);
    const order = response.json();
    expect(order).toMatchObject({ customer: 'ada', total: 4200, status: 'placed' });

    const fetched = await app.inject({ method: 'GET', url: `/orders/${order.id}` });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json()).toEqual(order);

    const events = (await orderEvents()).filter((event) => event.key === order.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      channel: 'orders',
      type: 'OrderPlaced',
      version: 1,
      payload: { orderId: order.id, customer: 'ada', total: 4200 },
      metadata: { correlationId: 'req-order-1' },
    });
  });

  it('rejects a bad body with a 400 problem listing every field, and writes nothing', async () => {
    const before = (await orderEvents()).length;
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customer: '', total: -1 },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const pointers = response.json().errors.map((error: { pointer: string }) => error.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/body/customer', '/body/total']));
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
      payload: '{"customer":"a\\u0000b","total":1}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json().errors[0].pointer).toBe('/body/customer');
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
