import type { AddressInfo } from 'node:net';
import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Infrastructure } from './infrastructure.js';
import { type ApiServer, buildServer } from './server.js';
import { createTestInfrastructure } from './test-infrastructure.js';
import { captureLogger, TEST_ADMIN_TOKEN, testSettings } from './test-support.js';

/** The fields these tests read from the JSON bodies. */
interface ResponseBody {
  readonly id: string;
  readonly status: string;
  readonly available: number;
  readonly groups: { group: string }[];
  readonly [field: string]: unknown;
}

// The order flow across the slices, through real HTTP on a listening port:
// orders → inventory → orders (status) and shipping → orders (shipped).
describe.each(testEngines())('order flow over HTTP on %s', (engine) => {
  let infrastructure: Infrastructure;
  let app: ApiServer;
  let base: string;
  const log = captureLogger();

  beforeAll(async () => {
    infrastructure = await createTestInfrastructure(engine);
    app = await buildServer({ settings: testSettings, logger: log.logger, infrastructure });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await infrastructure?.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as ResponseBody;
    return { status: response.status, headers: response.headers, body: json };
  }

  async function statusOf(orderId: string, expected: string): Promise<void> {
    await vi.waitFor(
      async () => expect((await call('GET', `/orders/${orderId}`)).body.status).toBe(expected),
      { timeout: 15_000, interval: 50 },
    );
  }

  it('places, reserves, ships; one correlation id on the request and every consumer log line', async () => {
    expect((await call('PUT', '/inventory/FLOW-1', { available: 2 })).status).toBe(200);
    const placed = await call(
      'POST',
      '/orders',
      { customer: 'flow', lines: [{ sku: 'FLOW-1', quantity: 2 }] },
      { 'x-request-id': 'req-flow-1', 'idempotency-key': 'flow-key-1' },
    );
    expect(placed.status).toBe(201);
    const orderId: string = placed.body.id;
    await statusOf(orderId, 'shipped');
    const shipment = await call('GET', `/shipments/${orderId}`);
    expect(shipment).toMatchObject({ status: 200, body: { orderId, status: 'scheduled' } });
    expect((await call('GET', '/inventory/FLOW-1')).body.available).toBe(0);

    // An idempotent retry replays the first response and changes nothing.
    const retry = await call(
      'POST',
      '/orders',
      { customer: 'flow', lines: [{ sku: 'FLOW-1', quantity: 2 }] },
      { 'idempotency-key': 'flow-key-1' },
    );
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(placed.body);
    expect((await call('GET', '/inventory/FLOW-1')).body.available).toBe(0);

    const lines = log.lines().filter((line) => line.correlationId === 'req-flow-1');
    const messages = new Set(lines.map((line) => line.msg));
    for (const msg of [
      'order placed',
      'stock reserved',
      'shipment scheduled',
      'order status from inventory',
      'order status from shipping',
    ]) {
      expect(messages).toContain(msg);
    }
    for (const slice of ['inventory', 'shipping', 'orders']) {
      expect(lines.some((line) => line.slice === slice)).toBe(true);
    }
  });

  it('rejects an order without stock: status rejected, no shipment', async () => {
    const placed = await call('POST', '/orders', {
      customer: 'flow',
      lines: [{ sku: 'FLOW-NONE', quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    await statusOf(placed.body.id, 'rejected');
    expect((await call('GET', `/shipments/${placed.body.id}`)).status).toBe(404);
  });

  it('admin routes: 401 problem without the token, 200 with it', async () => {
    const anonymous = await call('GET', '/admin/status/consumers');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const admin = await call('GET', '/admin/status/consumers', undefined, {
      authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
    });
    expect(admin.status).toBe(200);
    expect(admin.body.groups.map((g: { group: string }) => g.group)).toEqual(
      expect.arrayContaining([
        'inventory.reserve-stock',
        'orders.track-inventory',
        'orders.track-shipping',
        'shipping.schedule-shipment',
      ]),
    );
  });
});
