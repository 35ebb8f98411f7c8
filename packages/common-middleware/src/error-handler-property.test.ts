import { get as httpGet, type IncomingHttpHeaders } from 'node:http';
import createError from '@fastify/error';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ServiceUnavailableError } from './http-errors.js';
import { problemDetailsSchema } from './problem-details.js';
import { buildTestApp, type LogLine, linesFor } from './test-support.js';

const oddStatus = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(99, 399, 400, 404, 499, 500, 599, 600, 1e9, -1, Number.NaN, Infinity),
  fc.constantFrom('404', '500', 'abc', null, true, {}),
);

function circular(message: string): Error {
  const a = new Error(message);
  const b = new Error('cause b', { cause: a });
  a.cause = b;
  return a;
}

/** Values a route might throw, from well-formed errors to hostile oddities. */
const thrownValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true }),
  fc.string(),
  fc.constantFrom(null, undefined, 0, false, Symbol('s'), () => 'fn'),
  fc.record(
    { statusCode: oddStatus, message: fc.anything(), code: fc.anything() },
    {
      requiredKeys: [],
    },
  ),
  fc.record({ status: oddStatus, expose: fc.boolean(), headers: fc.anything() }),
  fc
    .tuple(fc.string(), oddStatus)
    .map(([message, statusCode]) => Object.assign(new Error(message), { statusCode })),
  fc.string().map(circular),
  fc.integer({ min: 1_000, max: 300_000 }).map((n) => new Error('m'.repeat(n))),
  fc.constant(
    new Proxy(
      {},
      {
        get() {
          throw new Error('hostile getter');
        },
        getPrototypeOf() {
          throw new Error('hostile prototype');
        },
      },
    ),
  ),
  fc.record({
    validation: fc.anything(),
    statusCode: fc.constant(400),
    validationContext: fc.anything(),
  }),
);

/** A thrown message the tests look for in bodies: it must never be in a 5xx one in production. */
const secret = fc.string({ maxLength: 40 }).map((s) => `SECRET-${s}`);
const anyStatus = fc.oneof(fc.integer({ min: 400, max: 599 }), oddStatus);
const AppBroken = createError('APP_BROKEN', '%s', 500);

/**
 * Values carrying a SECRET- message (and cause), in every shape that could leak it: errors with
 * 4xx/5xx/odd statuses and causes, `expose: true` on errors, plain objects and @fastify/error
 * instances, huge and stack-bearing messages, circular causes, mapped codes, thrown strings.
 */
const secretThrown: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .record({
      message: secret,
      statusCode: fc.option(anyStatus, { nil: undefined }),
      expose: fc.option(fc.boolean(), { nil: undefined }),
      withCause: fc.boolean(),
    })
    .map(({ message, statusCode, expose, withCause }) =>
      Object.assign(new Error(message, withCause ? { cause: new Error(`${message}-cause`) } : {}), {
        ...(statusCode === undefined ? {} : { statusCode }),
        ...(expose === undefined ? {} : { expose }),
      }),
    ),
  // `expose: true` on anything must not show a 5xx message in production.
  fc.record({
    message: secret,
    statusCode: fc.integer({ min: 500, max: 599 }),
    expose: fc.constant(true),
    code: fc.constantFrom(undefined, 'APP_SECRET_FAILURE', 'ECONNREFUSED'),
  }),
  fc.record({
    message: secret,
    status: fc.integer({ min: 500, max: 599 }),
    expose: fc.constant(true),
  }),
  secret.map((message) => Object.assign(new AppBroken(message), { expose: true })),
  secret.map((message) => new ServiceUnavailableError(message, { retryAfterSeconds: 5 })),
  secret.map((message) =>
    Object.assign(new Error(message), { code: 'VSA_DB_SERIALIZATION_FAILURE', statusCode: 503 }),
  ),
  secret.map((message) =>
    Object.assign(new Error(message), { code: 'VSA_DB_CONNECTION_UNAVAILABLE', statusCode: 503 }),
  ),
  secret.map(circular),
  fc
    .tuple(secret, fc.integer({ min: 1_000, max: 300_000 }))
    .map(([message, n]) => new Error(message + 'm'.repeat(n))),
  secret.map((message) => new Error(`${message}\n${new Error('inner').stack}`)),
  secret.map((message) => new Error('outer', { cause: circular(message) })),
  secret,
);

// What a stack frame or source location looks like in text.
const STACK_FRAME = [
  /\n\s*at\s/,
  /\bat\s+\S+\s+\(/,
  /\bat\s+\S+:\d+:\d+/,
  /\.(?:[cm]?[jt]s|tsx?):\d+/,
  /file:\/\//,
  /node:internal/,
  /error-handler-property\.test/,
];

function genericDetail(requestId: string): string {
  return `The server could not complete the request. Quote requestId ${requestId} when reporting it.`;
}

/** Checks one production response; returns whether it was a server error. */
function expectProductionProblem(res: { statusCode: number; body: string; requestId: string }) {
  expect(res.statusCode).toBeGreaterThanOrEqual(400);
  expect(res.statusCode).toBeLessThanOrEqual(599);
  const problem = problemDetailsSchema.parse(JSON.parse(res.body));
  expect(problem.status).toBe(res.statusCode);
  expect(problem.requestId).toBe(res.requestId);
  // The parsed text too: in the raw body a stack's newlines are JSON escapes.
  const text = `${res.body}\n${Object.values(problem).join('\n')}`;
  for (const frame of STACK_FRAME) expect(text).not.toMatch(frame);
  if (res.statusCode < 500) return false;
  expect(problem.detail).toBe(genericDetail(res.requestId));
  expect(res.body).not.toContain('SECRET-');
  expect(res.body).not.toContain('inner');
  expect(Object.keys(problem).sort()).toEqual(
    ['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'].filter(
      (key) => key !== 'code' || problem.code !== undefined,
    ),
  );
  return true;
}

function throwingRoutes(next: () => unknown) {
  return (a: FastifyInstance) => {
    a.get('/throw-sync', () => {
      throw next();
    });
    a.get('/throw-async', async () => {
      await Promise.resolve();
      throw next();
    });
    a.get('/send', (_request, reply) => {
      const value = next();
      // reply.send(error) takes the error path only for Error instances.
      reply.send(value instanceof Error ? value : new Error(String(typeof value)));
    });
    a.get('/ok', async () => ({ ok: true }));
  };
}

const route = fc.constantFrom('/throw-sync', '/throw-async', '/send');

/**
 * GET over a real socket with node:http. Not fetch: the Fetch standard turns a 407 answer
 * into a network error ("fetch failed"), and a thrown `statusCode: 407` is a valid answer.
 */
function get(url: string): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    }).on('error', reject);
  });
}

describe('any thrown value becomes a valid problem', () => {
  let app: FastifyInstance;
  let current: unknown;

  beforeAll(async () => {
    ({ app } = await buildTestApp({
      errors: { exposeInternalErrors: false },
      routes: throwingRoutes(() => current),
    }));
  });
  afterAll(() => app.close());

  it('answers problem+json with a 4xx/5xx status and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(thrownValue, route, async (value, url) => {
        current = value;
        const res = await app.inject({ url });
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expect(res.statusCode).toBeLessThanOrEqual(599);
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        const problem = problemDetailsSchema.parse(JSON.parse(res.body));
        expect(problem.status).toBe(res.statusCode);
        expect(problem.requestId).toBe(res.headers['x-request-id']);
        expect(problem.detail.length).toBeLessThanOrEqual(1100);
        expect(res.body).not.toMatch(/\n\s+at\s|\bat .*:\d+:\d+/);
      }),
      { numRuns: 300 },
    );
    expect((await app.inject({ url: '/ok' })).json()).toEqual({ ok: true });
  });

  it('never puts a server error message in a production body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1 }).map((s) => `SECRET-${s}`),
        fc.option(fc.integer({ min: 500, max: 599 }), { nil: undefined }),
        fc.boolean(),
        async (message, statusCode, withCause) => {
          current = Object.assign(
            new Error(message, withCause ? { cause: new Error(`${message}-cause`) } : {}),
            statusCode === undefined ? {} : { statusCode },
          );
          const res = await app.inject({ url: '/throw-async' });
          expect(res.statusCode).toBe(statusCode ?? 500);
          expect(res.body).not.toContain('SECRET-');
          expect(res.body).not.toContain('stack');
          expect(res.body).not.toMatch(/\.ts:\d+/);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('hides a 5xx detail even when the error sets expose: true, but keeps a declared code', async () => {
    current = new ServiceUnavailableError('Back at noon', { retryAfterSeconds: 60 });
    const res = await app.inject({ url: '/throw-async' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('60');
    const problem = res.json();
    expect(problem.detail).toBe(genericDetail(String(res.headers['x-request-id'])));
    expect(problem.code).toBe('VSA_HTTP_SERVICE_UNAVAILABLE');
    current = { statusCode: 500, expose: true, message: 'internal: disk /dev/sda1 full' };
    const plain = await app.inject({ url: '/throw-sync' });
    expect(plain.statusCode).toBe(500);
    expect(plain.body).not.toContain('disk');
  });

  it('still shows a 4xx detail, expose or not', async () => {
    current = Object.assign(new Error('Order 7 is closed'), { statusCode: 409, expose: true });
    expect((await app.inject({ url: '/throw-async' })).json().detail).toBe('Order 7 is closed');
    current = Object.assign(new Error('Order 8 is closed'), { statusCode: 409 });
    expect((await app.inject({ url: '/throw-async' })).json().detail).toBe('Order 8 is closed');
  });
});

describe('production mode from NODE_ENV (no exposeInternalErrors option)', () => {
  let app: FastifyInstance;
  let lines: LogLine[];
  let current: unknown;

  beforeAll(async () => {
    vi.stubEnv('NODE_ENV', 'production');
    // No `errors` options: exposure follows NODE_ENV, as in an app that sets nothing.
    ({ app, lines } = await buildTestApp({ routes: throwingRoutes(() => current) }));
  });
  afterAll(async () => {
    await app.close();
    vi.unstubAllEnvs();
  });

  it('answers every thrown value with a valid problem and no 5xx message or stack', async () => {
    let serverErrors = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(secretThrown, thrownValue), route, async (value, url) => {
        current = value;
        const res = await app.inject({ url });
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        const requestId = String(res.headers['x-request-id']);
        if (expectProductionProblem({ statusCode: res.statusCode, body: res.body, requestId }))
          serverErrors += 1;
      }),
      { numRuns: 300 },
    );
    // The property checked the server-error rules, not only 4xx answers.
    expect(serverErrors).toBeGreaterThan(50);
    expect((await app.inject({ url: '/ok' })).json()).toEqual({ ok: true });
  });

  it('logs what it hides: message, stack and cause with the request id', async () => {
    current = new Error('SECRET-db password rejected', {
      cause: new Error('SECRET-cause: pool exhausted'),
    });
    const res = await app.inject({ url: '/throw-async' });
    const requestId = String(res.headers['x-request-id']);
    expect(res.body).not.toContain('SECRET-');
    const logged = linesFor(lines, requestId).find((line) => line.level === 50);
    expect(logged).toMatchObject({
      requestId,
      err: {
        type: 'Error',
        message: 'SECRET-db password rejected',
        cause: { type: 'Error', message: 'SECRET-cause: pool exhausted' },
      },
    });
    const err = logged?.err as { stack: string; cause: { stack: string } };
    expect(err.stack).toMatch(/\n\s+at .*error-handler-property\.test\.ts/);
    expect(err.cause.stack).toMatch(/\n\s+at /);
  });
});

describe('NODE_ENV decides the default exposure', () => {
  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it.each([
    ['production', false],
    [undefined, false],
    ['staging', false],
    ['development', true],
    ['test', true],
  ] as const)('NODE_ENV=%s exposes 5xx messages: %s', async (env, exposed) => {
    vi.stubEnv('NODE_ENV', env);
    const { app } = await buildTestApp({
      routes: throwingRoutes(() => new Error('SECRET-visible only in development')),
    });
    try {
      const res = await app.inject({ url: '/throw-async' });
      expect(res.statusCode).toBe(500);
      const detail = res.json().detail;
      if (exposed) {
        expect(detail).toBe('SECRET-visible only in development');
      } else {
        expect(detail).toBe(genericDetail(String(res.headers['x-request-id'])));
      }
      // Never a stack, whatever the mode (checked in the parsed text: newlines are escaped).
      for (const frame of STACK_FRAME) expect(`${res.body}\n${detail}`).not.toMatch(frame);
    } finally {
      await app.close();
      vi.unstubAllEnvs();
    }
  });
});

describe('any thrown value on a listening server', () => {
  let app: FastifyInstance;
  let base: string;
  let current: unknown;

  beforeAll(async () => {
    vi.stubEnv('NODE_ENV', 'production');
    ({ app } = await buildTestApp({ routes: throwingRoutes(() => current) }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    vi.unstubAllEnvs();
  });

  it('answers problem+json over HTTP and keeps serving', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(secretThrown, thrownValue), route, async (value, url) => {
        current = value;
        const res = await get(base + url);
        expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
        expectProductionProblem({
          statusCode: res.status,
          body: res.body,
          requestId: String(res.headers['x-request-id']),
        });
        const ok = await get(`${base}/ok`);
        expect(ok.status).toBe(200);
        expect(JSON.parse(ok.body)).toEqual({ ok: true });
      }),
      { numRuns: 50 },
    );
    const after = await fetch(`${base}/ok`);
    expect(await after.json()).toEqual({ ok: true });
  });
});
