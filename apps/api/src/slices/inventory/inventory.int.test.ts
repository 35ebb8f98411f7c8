import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Infrastructure } from '../../infrastructure.js';
import { type ApiServer, buildServer } from '../../server.js';
import { createTestInfrastructure } from '../../test-infrastructure.js';
import { captureLogger, testSettings } from '../../test-support.js';

describe.each(testEngines())('inventory slice on %s', (engine) => {
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

  async function available(sku: string): Promise<number> {
    const response = await app.inject({ method: 'GET', url: `/inventory/${sku}` });
    expect(response.statusCode).toBe(200);
    return response.json().available;
  }

  async function decision(orderId: string) {
    return vi.waitFor(
      async () => {
        await infrastructure.bus.ticker.tick();
        const events = (await infrastructure.bus.read('inventory', { limit: 1000 })).events;
        const event = events.find((e) => e.key === orderId);
        expect(event).toBeDefined();
        return event;
      },
      { timeout: 10_000, interval: 20 },
    );
  }

  it('sets and reads stock; an unknown SKU is a 404 problem', async () => {
    const put = await app.inject({
      method: 'PUT',
      url: '/inventory/INV-1',
      payload: { available: 5 },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ sku: 'INV-1', available: 5 });
    expect(await available('INV-1')).toBe(5);
    const missing = await app.inject({ method: 'GET', url: '/inventory/NOPE' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('INVENTORY_NOT_FOUND');
    const bad = await app.inject({
      method: 'PUT',
      url: '/inventory/INV-1',
      payload: { available: -1 },
    });
    expect(bad.statusCode).toBe(400);
  });

  it('reserves every line of an order, or none of them', async () => {
    await app.inject({ method: 'PUT', url: '/inventory/INV-A', payload: { available: 3 } });
    await app.inject({ method: 'PUT', url: '/inventory/INV-B', payload: { available: 1 } });
    const ok = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: {
        customer: 'inv',
        lines: [
          { sku: 'INV-A', quantity: 2 },
          { sku: 'INV-B', quantity: 1 },
        ],
      },
    });
    const reserved = await decision(ok.json().id);
    expect(reserved?.type).toBe('InventoryReserved');
    expect(await available('INV-A')).toBe(1);
    expect(await available('INV-B')).toBe(0);

    // INV-A has 1 left, INV-B none: rejected, and INV-A keeps its unit.
    const short = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: {
        customer: 'inv',
        lines: [
          { sku: 'INV-A', quantity: 1 },
          { sku: 'INV-B', quantity: 1 },
        ],
      },
    });
    const rejected = await decision(short.json().id);
    expect(rejected).toMatchObject({
      type: 'InventoryRejected',
      payload: { shortages: [{ sku: 'INV-B', requested: 1, available: 0 }] },
    });
    expect(await available('INV-A')).toBe(1);
  });

  it('never sells one unit twice to concurrent orders', async () => {
    await app.inject({ method: 'PUT', url: '/inventory/INV-LAST', payload: { available: 3 } });
    const placed = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        app.inject({
          method: 'POST',
          url: '/orders',
          payload: { customer: `race-${i}`, lines: [{ sku: 'INV-LAST', quantity: 1 }] },
        }),
      ),
    );
    const decisions = await Promise.all(placed.map((r) => decision(r.json().id)));
    expect(decisions.filter((e) => e?.type === 'InventoryReserved')).toHaveLength(3);
    expect(decisions.filter((e) => e?.type === 'InventoryRejected')).toHaveLength(3);
    expect(await available('INV-LAST')).toBe(0);
  });
});
