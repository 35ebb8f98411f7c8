import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Infrastructure } from '../../infrastructure.js';
import { type ApiServer, buildServer } from '../../server.js';
import { createTestInfrastructure } from '../../test-infrastructure.js';
import { captureLogger, testSettings } from '../../test-support.js';
import { SCHEDULE_SHIPMENT_GROUP } from './on-inventory-reserved.js';

describe.each(testEngines())('shipping slice on %s', (engine) => {
  let infrastructure: Infrastructure;
  let app: ApiServer;
  const log = captureLogger();

  beforeAll(async () => {
    infrastructure = await createTestInfrastructure(engine);
    app = await buildServer({ settings: testSettings, logger: log.logger, infrastructure });
  });
  afterAll(async () => {
    await app?.close();
    await infrastructure?.close();
  });

  async function placeOrder(requestId: string): Promise<string> {
    const stock = await app.inject({
      method: 'PUT',
      url: '/inventory/SHIP-1',
      payload: { available: 1000 },
    });
    expect(stock.statusCode).toBe(200);
    const response = await app.inject({
      method: 'POST',
      url: '/orders',
      headers: { 'x-request-id': requestId },
      payload: { customer: 'grace', lines: [{ sku: 'SHIP-1', quantity: 1 }] },
    });
    expect(response.statusCode).toBe(201);
    return response.json().id;
  }

  it('schedules a shipment for an order whose stock was reserved, through the inventory channel only', async () => {
    const orderId = await placeOrder('req-ship-1');
    const shipment = await vi.waitFor(
      async () => {
        const response = await app.inject({ method: 'GET', url: `/shipments/${orderId}` });
        expect(response.statusCode).toBe(200);
        return response.json();
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(shipment).toMatchObject({ orderId, status: 'scheduled' });
  });

  it('links the chain: ShipmentScheduled carries the request correlation id and is caused by InventoryReserved', async () => {
    const orderId = await placeOrder('req-ship-2');
    const [placed, scheduled] = await vi.waitFor(
      async () => {
        await infrastructure.bus.ticker.tick();
        const orders = (await infrastructure.bus.read('inventory', { limit: 1000 })).events;
        const shipping = (await infrastructure.bus.read('shipping', { limit: 1000 })).events;
        const pair = [
          orders.find((event) => event.key === orderId),
          shipping.find((event) => event.key === orderId),
        ];
        expect(pair[1]).toBeDefined();
        return pair;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(scheduled?.metadata).toMatchObject({
      correlationId: 'req-ship-2',
      causationId: placed?.id,
    });
    // The consumer's own log lines carry the same correlation id and the event it handled.
    const line = log
      .lines()
      .find((entry) => entry.msg === 'shipment scheduled' && entry.orderId === orderId);
    expect(line).toMatchObject({
      slice: 'shipping',
      correlationId: 'req-ship-2',
      eventId: placed?.id,
      consumer: SCHEDULE_SHIPMENT_GROUP,
    });
  });

  it('answers 404 SHIPPING_NOT_FOUND for an order without shipment', async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/shipments/018f0000-0000-7000-8000-000000000001',
    });
    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe('SHIPPING_NOT_FOUND');
  });
});
