import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Infrastructure } from '../infrastructure.js';
import { type ApiServer, buildServer } from '../server.js';
import { createTestInfrastructure } from '../test-infrastructure.js';
import { captureLogger, TEST_ADMIN_TOKEN, testSettings } from '../test-support.js';
import { createApiMetrics } from './metrics.js';

/** The value of one sample line of the Prometheus text, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(testEngines())('GET /metrics on %s', (engine) => {
  let infrastructure: Infrastructure;
  let app: ApiServer;

  beforeAll(async () => {
    const metrics = createApiMetrics({ defaultMetrics: false });
    infrastructure = await createTestInfrastructure(engine, { metrics: metrics.bus });
    app = await buildServer({
      settings: testSettings,
      logger: captureLogger().logger,
      infrastructure,
      metrics,
    });
  });
  afterAll(async () => {
    await app?.close();
    await infrastructure?.close();
  });

  const scrape = async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.body;
  };

  it('is behind the admin token', async () => {
    const anonymous = await app.inject({ method: 'GET', url: '/metrics' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: 'Bearer not-the-token-at-all' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('after traffic: the HTTP histogram per route, published and handled counts, lag back to 0', async () => {
    await app.inject({ method: 'PUT', url: '/inventory/METRIC-1', payload: { available: 5 } });
    for (let i = 0; i < 2; i++) {
      const placed = await app.inject({
        method: 'POST',
        url: '/orders',
        payload: { customer: 'm', lines: [{ sku: 'METRIC-1', quantity: 1 }] },
      });
      expect(placed.statusCode).toBe(201);
    }
    const invalid = await app.inject({ method: 'POST', url: '/orders', payload: { lines: [] } });
    expect(invalid.statusCode).toBe(400);

    // Two orders: each goes orders → inventory → (orders, shipping) → orders.
    const handled = (group: string, channel: string, type: string) =>
      `vsa_events_handled_total{group="${group}",channel="${channel}",type="${type}"}`;
    await vi.waitFor(
      async () =>
        expect(
          sample(await scrape(), handled('orders.track-shipping', 'shipping', 'ShipmentScheduled')),
        ).toBe(2),
      { timeout: 15_000, interval: 100 },
    );
    // Lag returns to 0 once every group stored its position.
    await vi.waitFor(
      async () => {
        const text = await scrape();
        const lag = text.split('\n').filter((l) => l.startsWith('vsa_events_consumer_lag_events{'));
        expect(lag.length).toBeGreaterThanOrEqual(4);
        for (const line of lag) expect(line).toMatch(/ 0$/);
      },
      { timeout: 15_000, interval: 100 },
    );
    const text = await scrape();
    expect(
      sample(
        text,
        'http_request_duration_seconds_count{method="POST",route="/orders",status_code="201"}',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'http_request_duration_seconds_count{method="POST",route="/orders",status_code="400"}',
      ),
    ).toBe(1);
    expect(
      sample(
        text,
        'http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/orders",status_code="201"}',
      ),
    ).toBe(2);
    expect(sample(text, 'http_requests_in_flight{method="GET"}')).toBe(1); // this scrape
    expect(sample(text, 'vsa_events_published_total{channel="orders",type="OrderPlaced"}')).toBe(2);
    expect(
      sample(text, 'vsa_events_published_total{channel="inventory",type="InventoryReserved"}'),
    ).toBe(2);
    expect(sample(text, handled('inventory.reserve-stock', 'orders', 'OrderPlaced'))).toBe(2);
    expect(sample(text, handled('orders.track-inventory', 'inventory', 'InventoryReserved'))).toBe(
      2,
    );
    expect(
      sample(text, handled('shipping.schedule-shipment', 'inventory', 'InventoryReserved')),
    ).toBe(2);
    expect(text).toMatch(
      /^vsa_events_handler_duration_seconds_count\{group="inventory.reserve-stock",channel="orders",outcome="ok"\} 2$/m,
    );
    expect(text).toMatch(
      /^vsa_events_consumer_lag_seconds\{group="inventory.reserve-stock",channel="orders",partition="0"\} 0$/m,
    );
    expect(sample(text, 'vsa_events_oldest_transaction_age_seconds')).toBe(0);
    expect(sample(text, 'vsa_events_buffer_depth')).toBe(0);
    if (engine === 'postgres')
      expect(text).toMatch(/^vsa_db_pool_connections\{state="max"\} \d+$/m);
  });
});
