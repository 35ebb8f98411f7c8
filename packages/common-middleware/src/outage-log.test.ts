import { describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from './http-errors.js';
import { buildTestApp } from './test-support.js';

describe('503s during an outage', () => {
  it('logs the outage once per state change and counts the rest', async () => {
    let down = true;
    const { app, lines } = await buildTestApp({
      routes: (a) => {
        a.get('/orders', async () => {
          if (down) throw new ServiceUnavailableError('database down', { retryAfterSeconds: 1 });
          return { ok: true };
        });
      },
    });
    for (let i = 0; i < 50; i++) {
      const response = await app.inject({ url: '/orders' });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
    }
    down = false;
    expect((await app.inject({ url: '/orders' })).statusCode).toBe(200);
    const errors = lines.filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(/outage started/);
    expect(errors[0]?.err).toBeDefined();
    const over = lines.filter((line) => String(line.msg).startsWith('outage over'));
    expect(over).toHaveLength(1);
    expect(over[0]?.outage).toMatchObject({
      code: 'VSA_HTTP_SERVICE_UNAVAILABLE',
      answered503: 50,
    });
    await app.close();
  });
});
