import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Infrastructure } from '../infrastructure.js';
import { type ApiServer, buildServer } from '../server.js';
import { createTestInfrastructure } from '../test-infrastructure.js';
import { captureLogger, testSettings } from '../test-support.js';

// Every route carries a summary and response schemas; none may be left out.
const NOT_YET_DOCUMENTED = new Set<string>();

let infrastructure: Infrastructure;
let app: ApiServer;
beforeAll(async () => {
  infrastructure = await createTestInfrastructure(
    process.env.DATABASE_URL === undefined ? 'pglite' : 'postgres',
  );
  app = await buildServer({
    settings: testSettings,
    logger: captureLogger().logger,
    infrastructure,
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await infrastructure?.close();
});

describe('the whole app is documented', () => {
  it('every registered route has a summary and response schemas', () => {
    const missing = app
      .undocumentedRoutes()
      .filter((route) => route.method !== 'HEAD')
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !NOT_YET_DOCUMENTED.has(route));
    expect(missing).toEqual([]);
  });

  it('the OpenAPI document lists the slices’ paths', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/health/live',
        '/health/ready',
        '/orders/',
        '/orders/{id}',
        '/inventory/{sku}',
        '/shipments/{orderId}',
        '/admin/status/consumers',
        '/admin/dead-letters',
      ]),
    );
  });
});
