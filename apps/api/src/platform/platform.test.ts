import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, buildServer } from '../server.js';
import { loadApiSettings, migrateOnStart } from '../settings.js';
import { captureLogger, testSettings } from '../test-support.js';
import type { AppInstance } from './app-instance.js';
import { helmetHeaders } from './http-hardening.js';

let app: ApiServer | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const PROBLEM = /^application\/problem\+json/;

const documented = { schema: { summary: 'test route', response: {} } };

async function build(
  overrides: Partial<typeof testSettings> = {},
  extend?: (server: AppInstance) => void,
): Promise<ApiServer> {
  app = await buildServer({
    settings: { ...testSettings, ...overrides },
    logger: captureLogger().logger,
    extend: (server) => {
      server.post('/echo', documented, async (request) => ({ body: request.body }));
      server.get('/things/:id', documented, async () => ({}));
      server.get('/boom', documented, async () => {
        throw new Error('Invalid `prisma.order.create()` invocation: secret details');
      });
      extend?.(server);
    },
  });
  return app;
}

/** Sends raw bytes over TCP and resolves with everything the server wrote back. */
function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let out = '';
    socket.on('data', (chunk) => {
      out += chunk.toString();
    });
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

function problemOf(raw: string): { status: string; contentType: string; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return {
    status: head.split('\r\n')[0] ?? '',
    contentType: /content-type: ([^\r]+)/i.exec(head)?.[1] ?? '',
    body: JSON.parse(body),
  };
}

describe('errors raised before or outside routing are problem+json', () => {
  it('bad URL encoding is a 400 problem', async () => {
    const server = await build();
    const response = await server.inject({ method: 'GET', url: '/orders/%ff' });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.json()).toMatchObject({ status: 400, code: 'FST_ERR_BAD_URL' });
  });

  it('a path parameter over maxParamLength is a 414 problem', async () => {
    const server = await build();
    const response = await server.inject({ method: 'GET', url: `/things/${'x'.repeat(200)}` });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.json()).toMatchObject({ status: 414, code: 'FST_ERR_MAX_PARAM_LENGTH' });
  });

  it('malformed JSON and an over-limit body are 400 and 413 problems', async () => {
    const server = await build({ BODY_LIMIT: 64 });
    const bad = await server.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"a":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toMatch(PROBLEM);
    const big = await server.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ a: 'x'.repeat(100) }),
    });
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toMatch(PROBLEM);
  });

  it('headers over the limit are a 431 problem over real HTTP', async () => {
    const server = await build();
    await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.server.address() as { port: number }).port;
    const raw = await rawExchange(
      port,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    const problem = problemOf(raw);
    expect(problem.status).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(problem.contentType).toMatch(PROBLEM);
    expect(problem.body).toMatchObject({ status: 431 });
  });
});

describe('request bodies', () => {
  it('refuses content-encoding gzip on a plain body, and an unknown encoding, with 415', async () => {
    const server = await build();
    for (const encoding of ['gzip', 'x-made-up']) {
      const response = await server.inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json', 'content-encoding': encoding },
        payload: '{"a":1}',
      });
      expect(response.statusCode).toBe(415);
      expect(response.headers['content-type']).toMatch(PROBLEM);
      expect(response.json()).toMatchObject({ code: 'API_UNSUPPORTED_CONTENT_ENCODING' });
    }
  });

  it('refuses a charset=iso-8859-1 body with 415 instead of storing U+FFFD', async () => {
    const server = await build();
    const response = await server.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json; charset=iso-8859-1' },
      payload: Buffer.from('{"customer":"Jos\xe9"}', 'latin1'),
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ code: 'API_UNSUPPORTED_CHARSET' });
    const utf8 = await server.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json; charset=UTF-8' },
      payload: '{"customer":"José"}',
    });
    expect(utf8.json()).toEqual({ body: { customer: 'José' } });
  });

  it('closes a socket whose body trickles in past REQUEST_TIMEOUT_MS', async () => {
    const server = await build({ REQUEST_TIMEOUT_MS: 300, HEADERS_TIMEOUT_MS: 300 });
    await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.server.address() as { port: number }).port;
    const socket = connect(port, '127.0.0.1');
    socket.write(
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    let out = '';
    socket.on('data', (chunk) => {
      out += chunk.toString();
    });
    // Node checks request timeouts every connectionsCheckingInterval (30 s by default);
    // Fastify sets it from requestTimeout, so the close comes within a few intervals.
    const started = Date.now();
    await new Promise((resolve) => socket.on('close', resolve));
    // Closed by the request timeout, not by the 10 s idle connection timeout.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(out).toMatch(/^HTTP\/1.1 408/);
    expect(out).toMatch(/problem\+json/);
  });
});

describe('security and load', () => {
  it('sends security headers and no CORS header when no origin is configured', async () => {
    const server = await build();
    const response = await server.inject({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://evil.example' },
    });
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("sends helmet's full default header set on the HTML routes (docs, console) only", async () => {
    const headers = helmetHeaders();
    expect(headers['content-security-policy']).toContain("default-src 'self'");
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(Object.keys(headers).length).toBeGreaterThanOrEqual(12);
    const server = await build();
    for (const url of ['/docs/', '/console', '/console/index.html']) {
      const response = await server.inject({ method: 'GET', url });
      for (const [name, value] of Object.entries(headers)) {
        expect(response.headers[name], `${url} ${name}`).toBe(value);
      }
    }
    // JSON answers (a route, a 404 problem): nosniff only, no browser-document policies.
    for (const url of ['/health/live', '/no-such-route', '/docsx']) {
      const response = await server.inject({ method: 'GET', url });
      expect(response.headers['content-type'], url).toMatch(/json/);
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      for (const name of Object.keys(headers)) {
        if (name === 'x-content-type-options') continue;
        expect(response.headers[name], `${url} ${name}`).toBeUndefined();
      }
    }
  });

  it('allows a configured CORS origin', async () => {
    const server = await build({ CORS_ORIGINS: ['https://shop.example'] });
    const response = await server.inject({
      method: 'GET',
      url: '/health/live',
      headers: { origin: 'https://shop.example' },
    });
    expect(response.headers['access-control-allow-origin']).toBe('https://shop.example');
  });

  it('answers over the rate limit with a 429 problem and Retry-After', async () => {
    const server = await build({ RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW_MS: 60_000 });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<ApiServer['inject']>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await server.inject({ method: 'GET', url: '/docs/json' });
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(last?.headers['content-type']).toMatch(PROBLEM);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(last?.json()).toMatchObject({ status: 429, code: 'API_RATE_LIMITED' });
  });

  it('never rate limits the probes, nor counts them against the client', async () => {
    const server = await build({ RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW_MS: 60_000 });
    const probes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await server.inject({ method: 'GET', url: '/health/live' });
      probes.push(response.statusCode);
      expect(response.headers['x-ratelimit-limit'], 'no limiter on a probe').toBeUndefined();
    }
    expect(probes).toEqual([200, 200, 200, 200, 200]);
    // The probes above did not use the client's budget of 2.
    const first = await server.inject({ method: 'GET', url: '/docs/json' });
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
  });

  it('sheds load with a 503 problem and Retry-After when the heap passes its limit', async () => {
    const server = await build({ LOAD_MAX_HEAP_USED_BYTES: 1 });
    // under-pressure samples the heap on an interval; wait for its first sample.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const response = await server.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(PROBLEM);
    expect(response.headers['retry-after']).toBe('10');
  });

  it('with NODE_ENV unset and a real DATABASE_URL, 5xx details stay hidden by default', () => {
    const settings = loadApiSettings({ DATABASE_URL: 'postgres://app@db.internal:5432/app' });
    expect(settings.NODE_ENV).toBe('development');
    expect(settings.EXPOSE_ERROR_DETAILS).toBe(false);
    expect(migrateOnStart(settings)).toBe(true);
    expect(migrateOnStart({ ...settings, NODE_ENV: 'production' })).toBe(false);
  });

  it('keeps 5xx messages out of bodies unless EXPOSE_ERROR_DETAILS is set', async () => {
    for (const expose of [false, true]) {
      const server = await build({ EXPOSE_ERROR_DETAILS: expose });
      const response = await server.inject({ method: 'GET', url: '/boom' });
      expect(response.statusCode).toBe(500);
      expect(response.body.includes('prisma')).toBe(expose);
      await server.close();
      app = undefined;
    }
  });
});

describe('API docs', () => {
  it('serves an OpenAPI 3.1 document and the reference page at /docs', async () => {
    const server = await build();
    const doc = await server.inject({ method: 'GET', url: '/docs/json' });
    expect(doc.json()).toMatchObject({ openapi: '3.1.0' });
    expect(doc.json().paths['/health/ready'].get.responses['503']).toBeDefined();
    const page = await server.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
  });

  it('lists a route without summary or response schemas as undocumented', async () => {
    const server = await build({}, (server) => server.get('/bare', async () => ({})));
    expect(server.undocumentedRoutes()).toContainEqual({
      method: 'GET',
      url: '/bare',
      missing: ['summary', 'response'],
    });
  });
});
