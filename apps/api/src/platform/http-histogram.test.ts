import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createHttpDurationHistogram } from './http-histogram.js';

function setup() {
  const registry = new Registry();
  const histogram = createHttpDurationHistogram(registry, {
    name: 'http_request_duration_seconds',
    help: 'HTTP requests',
    buckets: [0.1, 0.01, 1],
  });
  return { registry, histogram };
}

describe('createHttpDurationHistogram', () => {
  it('renders cumulative buckets (sorted bounds, le on the bound), sum and count per series', async () => {
    const { registry, histogram } = setup();
    histogram.observe('GET', '/a', 200, 0.005);
    histogram.observe('GET', '/a', 200, 0.01); // on a bound: counted in le=0.01
    histogram.observe('GET', '/a', 200, 0.5);
    histogram.observe('GET', '/a', 200, 7);
    histogram.observe('POST', '/a', 201, 0.2);
    const text = await registry.metrics();
    const a = 'method="GET",route="/a",status_code="200"';
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain(`http_request_duration_seconds_bucket{le="0.01",${a}} 2`);
    expect(text).toContain(`http_request_duration_seconds_bucket{le="0.1",${a}} 2`);
    expect(text).toContain(`http_request_duration_seconds_bucket{le="1",${a}} 3`);
    expect(text).toContain(`http_request_duration_seconds_bucket{le="+Inf",${a}} 4`);
    expect(text).toContain(`http_request_duration_seconds_sum{${a}} 7.515`);
    expect(text).toContain(`http_request_duration_seconds_count{${a}} 4`);
    expect(text).toContain(
      'http_request_duration_seconds_count{method="POST",route="/a",status_code="201"} 1',
    );
  });

  it('keeps one series per method, status and route, and forgets them on reset', async () => {
    const { registry, histogram } = setup();
    histogram.observe('GET', '/a', 200, 0.001);
    histogram.observe('GET', '/a', 404, 0.001);
    histogram.observe('GET', '/b', 200, 0.001);
    const counts = (await histogram.get()).values.filter((v) => v.metricName.endsWith('_count'));
    expect(counts.map((v) => v.labels)).toEqual([
      { method: 'GET', route: '/a', status_code: '200' },
      { method: 'GET', route: '/a', status_code: '404' },
      { method: 'GET', route: '/b', status_code: '200' },
    ]);
    registry.resetMetrics();
    expect((await histogram.get()).values).toEqual([]);
  });

  it('refuses a second metric of the same name in the registry', () => {
    const { registry } = setup();
    expect(() =>
      createHttpDurationHistogram(registry, {
        name: 'http_request_duration_seconds',
        help: 'again',
        buckets: [1],
      }),
    ).toThrow(/already been registered/);
  });
});
