import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, buildServer } from './server.js';
import { captureLogger, testSettings } from './test-support.js';

let app: ApiServer | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('buildServer', () => {
  it('answers an unknown route with a 404 problem carrying the request id', async () => {
    app = await buildServer({ settings: testSettings, logger: captureLogger().logger });
    const response = await app.inject({
      method: 'GET',
      url: '/nope?token=secret',
      headers: { 'x-request-id': 'req-42' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.headers['x-request-id']).toBe('req-42');
    expect(response.json()).toMatchObject({ status: 404, instance: '/nope', requestId: 'req-42' });
  });

  it('logs every line of a request with its request and correlation ids', async () => {
    const { logger, lines } = captureLogger();
    app = await buildServer({ settings: testSettings, logger });
    await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'req-7', 'x-correlation-id': 'corr-7' },
    });
    const completed = lines().find((line) => line.msg === 'request completed');
    expect(completed).toMatchObject({ requestId: 'req-7', correlationId: 'corr-7' });
  });

  it('logs each id once (requestId, no reqId), and health probes at debug', async () => {
    const { logger, lines } = captureLogger();
    app = await buildServer({ settings: testSettings, logger });
    await app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'probe-1' },
    });
    await app.inject({ method: 'GET', url: '/nope', headers: { 'x-request-id': 'req-8' } });
    const ofRequest = lines().filter((line) => line.requestId === 'req-8');
    expect(ofRequest.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['incoming request', 'request completed']),
    );
    for (const line of lines()) expect(line).not.toHaveProperty('reqId');
    const probe = lines().filter((line) => line.requestId === 'probe-1');
    expect(probe.length).toBeGreaterThan(0);
    for (const line of probe) expect(line.level).toBe(20);
  });

  it('shares the logger across requests, and gives a route with its own log level a child', async () => {
    const { logger, lines } = captureLogger();
    app = await buildServer({
      settings: testSettings,
      logger,
      extend: (server) => {
        server.get('/same', async (request) => ({ same: request.log === server.log }));
        server.get('/quiet', { logLevel: 'error' }, async (request) => {
          request.log.info('dropped');
          return { same: request.log === server.log, level: request.log.level };
        });
      },
    });
    expect((await app.inject({ method: 'GET', url: '/same' })).json()).toEqual({ same: true });
    expect((await app.inject({ method: 'GET', url: '/quiet' })).json()).toEqual({
      same: false,
      level: 'error',
    });
    expect(lines().map((line) => line.msg)).not.toContain('dropped');
  });
});
