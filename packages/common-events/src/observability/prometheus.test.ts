import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createPrometheusMetrics } from './prometheus.js';

describe('createPrometheusMetrics', () => {
  it('counts from zero again after a registry reset, also for series it cached', async () => {
    const registry = new Registry();
    const m = createPrometheusMetrics(registry);
    const labels = Object.freeze({ group: 'g', channel: 'orders', type: 'OrderPlaced' });
    m.published?.('orders', 'OrderPlaced', 2);
    m.published?.('orders', 'OrderShipped', 1);
    m.handled?.(labels, 0.001);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('vsa_events_published_total{');
    m.published?.('orders', 'OrderPlaced', 5);
    m.handled?.(labels, 0.001);
    m.handled?.(labels, 0.001);
    const text = await registry.metrics();
    expect(text).toContain('vsa_events_published_total{channel="orders",type="OrderPlaced"} 5');
    expect(text).not.toContain('type="OrderShipped"');
    expect(text).toContain(
      'vsa_events_handled_total{group="g",channel="orders",type="OrderPlaced"} 2',
    );
  });

  it('renders counters, histograms and gauges through a prom-client registry', async () => {
    const registry = new Registry();
    const m = createPrometheusMetrics(registry, { buckets: [0.01, 0.1] });
    const labels = Object.freeze({ group: 'g', channel: 'orders', type: 'OrderPlaced' });
    m.published?.('orders', 'OrderPlaced', 3);
    m.handled?.(labels, 0.005);
    m.handled?.(labels, 0.05);
    m.failed?.(labels, 2);
    m.retried?.('g', 'orders');
    m.consumerLag?.([
      { group: 'g', channel: 'orders', partition: 0, events: 4, seconds: 1.5 },
      { group: 'g', channel: 'orders', partition: 1, events: 0, seconds: 0 },
    ]);
    m.poolUsage?.({ max: 10, total: 3, idle: 1, waiting: 0 });
    let text = await registry.metrics();
    const lines = text.split('\n');
    for (const line of [
      'vsa_events_published_total{channel="orders",type="OrderPlaced"} 3',
      'vsa_events_handled_total{group="g",channel="orders",type="OrderPlaced"} 2',
      'vsa_events_failed_total{group="g",channel="orders",type="OrderPlaced"} 1',
      'vsa_events_retried_total{group="g",channel="orders"} 1',
      'vsa_events_handler_duration_seconds_bucket{group="g",channel="orders",outcome="ok",le="0.01"} 1',
      'vsa_events_handler_duration_seconds_bucket{group="g",channel="orders",outcome="ok",le="0.1"} 2',
      'vsa_events_handler_duration_seconds_bucket{group="g",channel="orders",outcome="ok",le="+Inf"} 2',
      'vsa_events_handler_duration_seconds_count{group="g",channel="orders",outcome="ok"} 2',
      'vsa_events_handler_duration_seconds_sum{group="g",channel="orders",outcome="ok"} 0.055',
      'vsa_events_handler_duration_seconds_bucket{group="g",channel="orders",outcome="error",le="0.1"} 0',
      'vsa_events_handler_duration_seconds_bucket{group="g",channel="orders",outcome="error",le="+Inf"} 1',
      'vsa_events_consumer_lag_events{group="g",channel="orders",partition="0"} 4',
      'vsa_events_consumer_lag_seconds{group="g",channel="orders",partition="0"} 1.5',
      'vsa_db_pool_connections{state="used"} 2',
      '# TYPE vsa_events_handled_total counter',
      '# TYPE vsa_events_handler_duration_seconds histogram',
      '# TYPE vsa_events_consumer_lag_events gauge',
    ]) {
      expect(lines, line).toContain(line);
    }
    // A partition that went away loses its series at the next sample.
    m.consumerLag?.([{ group: 'g', channel: 'orders', partition: 1, events: 0, seconds: 0 }]);
    text = await registry.metrics();
    expect(text).not.toContain('partition="0"');
    expect(text).toContain(
      'vsa_events_consumer_lag_events{group="g",channel="orders",partition="1"} 0',
    );
  });

  it('keeps exact counts per label set when calls alternate between label sets', async () => {
    const registry = new Registry();
    const m = createPrometheusMetrics(registry, { buckets: [0.01] });
    const a = Object.freeze({ group: 'g', channel: 'orders', type: 'OrderPlaced' });
    const b = Object.freeze({ group: 'g', channel: 'orders', type: 'OrderShipped' });
    const other = Object.freeze({ group: 'h', channel: 'orders', type: 'OrderPlaced' });
    for (const l of [a, b, a, a, b, other, a]) m.handled?.(l, 0.001);
    m.failed?.(b, 1);
    m.handled?.(b, 0.5);
    const lines = (await registry.metrics()).split('\n');
    for (const line of [
      'vsa_events_handled_total{group="g",channel="orders",type="OrderPlaced"} 4',
      'vsa_events_handled_total{group="g",channel="orders",type="OrderShipped"} 3',
      'vsa_events_handled_total{group="h",channel="orders",type="OrderPlaced"} 1',
      'vsa_events_failed_total{group="g",channel="orders",type="OrderShipped"} 1',
      'vsa_events_handler_duration_seconds_count{group="g",channel="orders",outcome="ok"} 7',
      'vsa_events_handler_duration_seconds_bucket{group="g",channel="orders",outcome="ok",le="0.01"} 6',
      'vsa_events_handler_duration_seconds_count{group="h",channel="orders",outcome="ok"} 1',
    ]) {
      expect(lines, line).toContain(line);
    }
  });

  it('registers with a prefix, and a second recorder on one registry is refused by it', () => {
    const registry = new Registry();
    createPrometheusMetrics(registry, { prefix: 'shop_' });
    expect(registry.getSingleMetric('shop_handled_total')).toBeDefined();
    expect(() => createPrometheusMetrics(registry, { prefix: 'shop_' })).toThrow(
      /already been registered/,
    );
  });
});
