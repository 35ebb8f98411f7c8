import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../server.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
});

describe('health routes', () => {
  it('answers live with 200 and no dependency', async () => {
    app = await buildServer();
    const response = await app.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('answers ready with 503 naming the failing check', async () => {
    app = await buildServer({
      readiness: [
        { name: 'db', check: async () => ({ ok: false, detail: 'connection refused' }) },
        { name: 'bus', check: async () => ({ ok: true }) },
      ],
    });
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toContainEqual({
      name: 'db',
      ok: false,
      detail: 'connection refused',
    });
  });

  it('turns a throwing check into a failed check', async () => {
    app = await buildServer({
      readiness: [{ name: 'db', check: async () => Promise.reject(new Error('boom')) }],
    });
    const response = await app.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(503);
    expect(response.json().checks).toEqual([{ name: 'db', ok: false, detail: 'boom' }]);
  });
});
