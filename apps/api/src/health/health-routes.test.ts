import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, buildServer, type ServerDependencies } from '../server.js';
import { captureLogger, testSettings } from '../test-support.js';
import type { ReadinessCheck } from './health-routes.js';

let app: ApiServer | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function serverWith(
  readiness: readonly ReadinessCheck[] = [],
  capture = captureLogger(),
  settings: ServerDependencies['settings'] = { ...testSettings, EXPOSE_ERROR_DETAILS: true },
): Promise<ApiServer> {
  app = await buildServer({ settings, logger: capture.logger, readiness });
  return app;
}

describe('health routes', () => {
  it('answers live with 200 and no dependency', async () => {
    const response = await (await serverWith()).inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.body).toBe('{"status":"ok"}');
  });

  it('answers ready with 503 naming the failing check', async () => {
    const server = await serverWith([
      { name: 'db', check: async () => ({ ok: false, detail: 'connection refused' }) },
      { name: 'bus', check: async () => ({ ok: true }) },
    ]);
    const response = await server.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toContainEqual({
      name: 'db',
      ok: false,
      detail: 'connection refused',
    });
  });

  it('turns a throwing check into a failed check', async () => {
    const server = await serverWith([
      { name: 'db', check: async () => Promise.reject(new Error('boom')) },
    ]);
    const response = await server.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toEqual([{ name: 'db', ok: false, detail: 'boom' }]);
  });

  it('without EXPOSE_ERROR_DETAILS names the failing check but keeps its detail in the log only', async () => {
    const capture = captureLogger();
    const server = await serverWith(
      [
        {
          name: 'db',
          check: async () => ({ ok: false, detail: 'connect ECONNREFUSED 10.0.0.7:5432' }),
        },
      ],
      capture,
      { ...testSettings, NODE_ENV: 'production', EXPOSE_ERROR_DETAILS: false },
    );
    const response = await server.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'unavailable', checks: [{ name: 'db', ok: false }] });
    expect(response.body).not.toContain('10.0.0.7');
    const line = capture.lines().find((l) => l.msg === 'readiness check failed');
    expect(JSON.stringify(line)).toContain('ECONNREFUSED 10.0.0.7:5432');
  });

  it('answers ready with 200 when every check passes', async () => {
    const server = await serverWith([{ name: 'db', check: async () => ({ ok: true }) }]);
    const response = await server.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok', checks: [{ name: 'db', ok: true }] });
  });
});
