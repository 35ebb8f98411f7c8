import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  GoneError,
  NotFoundError,
  PreconditionFailedError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableEntityError,
} from './http-errors.js';
import { InvalidMiddlewareOptionsError } from './options-error.js';
import { problemDetailsSchema, problemResponses } from './problem-details.js';
import { buildTestApp, type LogLine, linesFor } from './test-support.js';

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

// The statuses @vsa/common-db's errors declare; the handler reads them from the error.
const DB_STATUS: Record<string, number> = {
  VSA_DB_UNIQUE_VIOLATION: 409,
  VSA_DB_NOT_FOUND: 404,
  VSA_DB_FOREIGN_KEY_VIOLATION: 409,
  VSA_DB_SERIALIZATION_FAILURE: 503,
  VSA_DB_CONNECTION_UNAVAILABLE: 503,
};

function dbError(code: string, message = `db said ${code}`): Error {
  const statusCode = DB_STATUS[code];
  return Object.assign(
    new Error(message),
    statusCode === undefined ? { code } : { code, statusCode },
  );
}

/** Every error of the application family, its status and code. */
const family = [
  [new BadRequestError('bad'), 400, 'VSA_HTTP_BAD_REQUEST'],
  [new UnauthorizedError('who'), 401, 'VSA_HTTP_UNAUTHORIZED'],
  [new ForbiddenError('no'), 403, 'VSA_HTTP_FORBIDDEN'],
  [new NotFoundError('Order 42 not found'), 404, 'VSA_HTTP_NOT_FOUND'],
  [new ConflictError('taken'), 409, 'VSA_HTTP_CONFLICT'],
  [new GoneError('gone'), 410, 'VSA_HTTP_GONE'],
  [new PreconditionFailedError('stale'), 412, 'VSA_HTTP_PRECONDITION_FAILED'],
  [new UnprocessableEntityError('rule'), 422, 'VSA_HTTP_UNPROCESSABLE_ENTITY'],
  [
    new TooManyRequestsError('slow down', { retryAfterSeconds: 30 }),
    429,
    'VSA_HTTP_TOO_MANY_REQUESTS',
  ],
  [
    new ServiceUnavailableError('maintenance', { retryAfterSeconds: 2.5, cause: new Error('x') }),
    503,
    'VSA_HTTP_SERVICE_UNAVAILABLE',
  ],
] as const;

/** Non-Error values a route might throw; each must become a 500 (or its own 5xx) problem. */
const nonErrors: Record<string, { value: unknown; status: number; text?: string }> = {
  string: { value: 'plain string', status: 500, text: 'plain string' },
  number: { value: 42, status: 500 },
  null: { value: null, status: 500 },
  undefined: { value: undefined, status: 500 },
  symbol: { value: Symbol('thrown symbol'), status: 500, text: 'thrown symbol' },
  array: { value: ['array secret'], status: 500, text: 'array secret' },
  object: { value: { message: 'object secret' }, status: 500, text: 'object secret' },
  exposed: {
    value: { statusCode: 502, expose: true, message: 'exposed secret' },
    status: 502,
    text: 'exposed secret',
  },
};

function genericDetail(requestId: string): string {
  return `The server could not complete the request. Quote requestId ${requestId} when reporting it.`;
}

async function routes(app: FastifyInstance): Promise<void> {
  app.post(
    '/users',
    {
      schema: {
        body: z.object({ email: z.email(), age: z.number().int().min(0), name: z.string() }),
        response: { 201: z.object({ ok: z.boolean() }), ...problemResponses(400, 409) },
      },
    },
    async (_request, reply) => reply.code(201).send({ ok: true }),
  );
  app.get(
    '/items/:id',
    {
      schema: {
        params: z.object({ id: z.coerce.number().int() }),
        querystring: z.object({ limit: z.coerce.number().max(10).optional() }),
      },
    },
    async () => ({ ok: true }),
  );
  app.post('/small', { bodyLimit: 16 }, async () => ({ ok: true }));
  app.get('/db/:code', async (request) => {
    throw dbError((request.params as { code: string }).code);
  });
  app.get('/boom', async () => {
    throw new Error('secret connection string postgres://u:p@host/db', {
      cause: new Error('socket hang up'),
    });
  });
  app.get('/status/:status', async (request) => {
    throw Object.assign(new Error('custom status'), {
      statusCode: Number((request.params as { status: string }).status),
    });
  });
  app.get('/throw-string', () => {
    throw 'plain string';
  });
  app.get('/throw-value/:kind', (request) => {
    throw nonErrors[(request.params as { kind: string }).kind]?.value;
  });
  app.get('/family/:i', async (request) => {
    throw family[Number((request.params as { i: string }).i)]?.[0];
  });
  app.get('/huge', async () => {
    throw new BadRequestError('x'.repeat(100_000));
  });
  app.get('/auth', async () => {
    throw Object.assign(new UnauthorizedError('Sign in first'), {
      headers: {
        'WWW-Authenticate': 'Bearer',
        'set-cookie': 'evil=1',
        'retry-after': 'bad\nvalue',
      },
    });
  });
  app.register(
    async (child) => {
      child.put('/things/:id', async () => ({ ok: true }));
    },
    { prefix: '/v1' },
  );
}

function problemOf(res: { headers: Record<string, unknown>; body: string }) {
  expect(res.headers['content-type']).toBe(PROBLEM_TYPE);
  return problemDetailsSchema.parse(JSON.parse(res.body));
}

describe('errorHandlerPlugin (inject)', () => {
  let app: FastifyInstance;
  let lines: LogLine[];

  beforeAll(async () => {
    ({ app, lines } = await buildTestApp({ errors: { exposeInternalErrors: false }, routes }));
  });
  afterAll(() => app.close());

  it('answers zod body validation with 400 and one entry per failing field', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/users?x=1',
      payload: { email: 'not-an-email', age: -1 },
    });
    expect(res.statusCode).toBe(400);
    const problem = problemOf(res);
    expect(problem).toMatchObject({
      type: 'https://vsa.dev/problems/fst-err-validation',
      title: 'Bad Request',
      status: 400,
      detail: 'Request body failed validation',
      instance: '/users',
      code: 'FST_ERR_VALIDATION',
      requestId: res.headers['x-request-id'],
    });
    expect(problem.errors?.map((e) => e.pointer).sort()).toEqual([
      '/body/age',
      '/body/email',
      '/body/name',
    ]);
    for (const error of problem.errors ?? []) expect(error.detail).not.toBe('');
  });

  it('names params and querystring in pointers', async () => {
    const params = problemOf(await app.inject({ url: '/items/abc' }));
    expect(params.errors?.map((e) => e.pointer)).toEqual(['/params/id']);
    const query = problemOf(await app.inject({ url: '/items/1?limit=99' }));
    expect(query.errors?.map((e) => e.pointer)).toEqual(['/querystring/limit']);
    expect(query.detail).toBe('Request querystring failed validation');
  });

  it('answers malformed JSON with 400', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(res.statusCode).toBe(400);
    expect(problemOf(res).code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
  });

  it('answers an unsupported content type with 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/xml' },
      payload: '<user/>',
    });
    expect(res.statusCode).toBe(415);
    expect(problemOf(res)).toMatchObject({ status: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
  });

  it('answers a body over the limit with 413', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/small',
      payload: { text: 'x'.repeat(100) },
    });
    expect(res.statusCode).toBe(413);
    expect(problemOf(res)).toMatchObject({ status: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
  });

  it('answers an unknown route with 404', async () => {
    const res = await app.inject({ url: '/nowhere?token=secret' });
    expect(res.statusCode).toBe(404);
    const problem = problemOf(res);
    expect(problem).toMatchObject({
      type: 'https://vsa.dev/problems/vsa-http-route-not-found',
      title: 'Not Found',
      code: 'VSA_HTTP_ROUTE_NOT_FOUND',
      instance: '/nowhere',
    });
    expect(res.body).not.toContain('secret');
  });

  it('answers a known path with another method with 405 and Allow', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/items/7' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(problemOf(res)).toMatchObject({ status: 405, code: 'VSA_HTTP_METHOD_NOT_ALLOWED' });
    const child = await app.inject({ method: 'GET', url: '/v1/things/1' });
    expect(child.statusCode).toBe(405);
    expect(child.headers.allow).toBe('PUT');
  });

  it.each([
    ['VSA_DB_UNIQUE_VIOLATION', 409],
    ['VSA_DB_NOT_FOUND', 404],
    ['VSA_DB_FOREIGN_KEY_VIOLATION', 409],
    ['VSA_DB_SERIALIZATION_FAILURE', 503],
    ['VSA_DB_CONNECTION_UNAVAILABLE', 503],
  ])('maps %s to %i by the statusCode it carries', async (code, status) => {
    const res = await app.inject({ url: `/db/${code}` });
    expect(res.statusCode).toBe(status);
    const problem = problemOf(res);
    expect(problem.code).toBe(code);
    if (status === 503) {
      expect(res.headers['retry-after']).toBe('1');
      // Driver text stays out of server-error bodies.
      expect(problem.detail).not.toContain('db said');
    } else {
      expect(res.headers['retry-after']).toBeUndefined();
      expect(problem.detail).toBe(`db said ${code}`);
    }
  });

  it('treats an unknown code without status as 500', async () => {
    const res = await app.inject({ url: '/db/ECONNREFUSED' });
    expect(res.statusCode).toBe(500);
    const problem = problemOf(res);
    expect(problem.code).toBeUndefined();
    expect(problem.type).toBe('about:blank');
  });

  it.each([
    [418, 418],
    [422, 422],
    [599, 599],
    [399, 500],
    [99, 500],
    [1e9, 500],
    [404.5, 500],
  ])('honors statusCode %s as %i', async (given, status) => {
    const res = await app.inject({ url: `/status/${given}` });
    expect(res.statusCode).toBe(status);
    expect(problemOf(res).status).toBe(status);
  });

  it('hides a 500 message, stack and cause from the body and logs all of them', async () => {
    const res = await app.inject({ url: '/boom' });
    expect(res.statusCode).toBe(500);
    const problem = problemOf(res);
    expect(problem).toMatchObject({ type: 'about:blank', title: 'Internal Server Error' });
    expect(res.body).not.toMatch(/secret|postgres|hang up|\bat\s/);
    const requestId = String(res.headers['x-request-id']);
    expect(problem.detail).toContain(requestId);
    const logged = linesFor(lines, requestId).find((line) => line.level === 50);
    // Written by @vsa/common-logging's err serializer: nested cause, URL password hidden.
    expect(logged).toMatchObject({
      msg: 'request failed: 500 Internal Server Error',
      reqId: requestId,
      requestId,
      correlationId: requestId,
      err: {
        type: 'Error',
        cause: { type: 'Error', message: 'socket hang up' },
      },
      problem: { status: 500, name: 'Error' },
    });
    const err = logged?.err as { message: string; stack: string; cause: { stack: string } };
    expect(err.message).toMatch(/^secret connection string postgres:\/\/u:\S+@host\/db$/);
    expect(err.stack).toMatch(/^Error: secret connection string postgres:\/\/u:/);
    expect(err.stack).toMatch(/\n\s+at .*error-handler-plugin\.test\.ts:\d+/);
    expect(err.cause.stack).toMatch(/^Error: socket hang up\n\s+at /);
    expect(JSON.stringify(logged)).not.toContain('u:p@');
  });

  it('logs 4xx at info without stack', async () => {
    const res = await app.inject({ url: '/db/VSA_DB_NOT_FOUND' });
    const requestId = String(res.headers['x-request-id']);
    const failures = linesFor(lines, requestId).filter((l) =>
      String(l.msg).startsWith('request failed'),
    );
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 30,
      msg: 'request failed: 404 Not Found',
      requestId,
      problem: { status: 404, code: 'VSA_DB_NOT_FOUND', message: 'db said VSA_DB_NOT_FOUND' },
    });
    expect(failures[0]).not.toHaveProperty('err');
    expect(JSON.stringify(failures[0])).not.toMatch(/stack|\n\s+at /);
  });

  it('answers a thrown string with a 500 problem', async () => {
    const res = await app.inject({ url: '/throw-string' });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('plain string');
    const logged = linesFor(lines, String(res.headers['x-request-id'])).find((l) => l.level === 50);
    expect((logged?.err as { message: string } | undefined)?.message).toContain("'plain string'");
  });

  it('truncates huge details', async () => {
    const res = await app.inject({ url: '/huge' });
    const problem = problemOf(res);
    expect(problem.detail.length).toBeLessThan(1100);
    expect(problem.detail).toMatch(/truncated\)$/);
  });

  it('passes allowed error headers and drops the rest', async () => {
    const res = await app.inject({ url: '/auth' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['retry-after']).toBeUndefined();
  });
});

describe('application error family', () => {
  let app: FastifyInstance;
  let lines: LogLine[];

  beforeAll(async () => {
    ({ app, lines } = await buildTestApp({ errors: { exposeInternalErrors: false }, routes }));
  });
  afterAll(() => app.close());

  it.each(family.map((entry, i) => [entry[2], entry[1], i, entry[0].message] as const))(
    '%s answers %i with its code (and its detail for 4xx)',
    async (code, status, i, message) => {
      const res = await app.inject({ url: `/family/${i}` });
      expect(res.statusCode).toBe(status);
      // A 5xx detail stays hidden when exposeInternalErrors is off, even the 503's.
      const detail = status >= 500 ? genericDetail(String(res.headers['x-request-id'])) : message;
      expect(problemOf(res)).toMatchObject({ code, status, detail });
      if (status === 429) expect(res.headers['retry-after']).toBe('30');
      if (status === 503) expect(res.headers['retry-after']).toBe('3');
      const level = linesFor(lines, String(res.headers['x-request-id'])).find((l) =>
        String(l.msg).startsWith('request failed'),
      )?.level;
      expect(level).toBe(status === 503 ? 50 : status === 429 ? 40 : 30);
    },
  );

  it('keeps instanceof and cause', () => {
    const cause = new Error('root');
    const error = new NotFoundError('x', { cause });
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(Error);
    expect(error.cause).toBe(cause);
    expect(new TooManyRequestsError('x')).toBeInstanceOf(TooManyRequestsError);
  });
});

describe('errorHandlerPlugin options', () => {
  it('does not pick a status from a code alone: no second code-to-status table', async () => {
    const { app } = await buildTestApp({
      routes: (a) => {
        a.get('/code-only', async () => {
          throw Object.assign(new Error('x'), { code: 'VSA_DB_NOT_FOUND' });
        });
      },
    });
    expect((await app.inject({ url: '/code-only' })).statusCode).toBe(500);
    await app.close();
  });

  it('uses typeBaseUrl, and the status the error declares', async () => {
    const { app } = await buildTestApp({
      errors: { typeBaseUrl: 'https://errors.example.com/p/' },
      routes: (a) => {
        a.get('/locked', async () => {
          throw Object.assign(new Error('locked'), { code: 'ORDERS_LOCKED', statusCode: 423 });
        });
      },
    });
    const res = await app.inject({ url: '/locked' });
    expect(res.statusCode).toBe(423);
    expect(problemOf(res).type).toBe('https://errors.example.com/p/orders-locked');
    await app.close();
  });

  it('shows server error messages, never stacks, when exposeInternalErrors is on', async () => {
    const { app } = await buildTestApp({
      errors: { exposeInternalErrors: true },
      routes: (a) => {
        a.get('/boom', async () => {
          throw new Error('visible in development');
        });
      },
    });
    const res = await app.inject({ url: '/boom' });
    expect(problemOf(res).detail).toBe('visible in development');
    expect(res.body).not.toMatch(/\bat\s|\.ts:\d/);
    await app.close();
  });

  it("accepts Fastify's own register options next to its own", async () => {
    const { app } = await buildTestApp({
      errors: { logLevel: 'warn', prefix: '/x', exposeInternalErrors: false } as never,
    });
    expect((await app.inject({ url: '/nowhere' })).statusCode).toBe(404);
    await app.close();
  });

  it('keeps 404 for unknown paths when a catch-all OPTIONS * route (CORS preflight) exists', async () => {
    const { app } = await buildTestApp({
      routes: (a) => {
        a.options('*', async () => '');
        a.get('/only-get', async () => 'ok');
      },
    });
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/only-get' })).statusCode).toBe(405);
    await app.close();
  });

  it('answers 404 instead of 405 when methodNotAllowed is off', async () => {
    const { app } = await buildTestApp({
      errors: { methodNotAllowed: false },
      routes: (a) => {
        a.get('/only-get', async () => 'ok');
      },
    });
    expect((await app.inject({ method: 'POST', url: '/only-get' })).statusCode).toBe(404);
    await app.close();
  });

  it.each([
    [
      { typeBaseUrl: 'not a url' },
      /^errorHandlerPlugin\(options\): typeBaseUrl: must be an absolute URL/,
    ],
    [{ typeBaseUrl: 'https://x.dev/no-slash' }, /typeBaseUrl: must end with "\/" or "#"/],
    [{ maxDetailLength: 0 }, /maxDetailLength: must be an integer from 16 to 100000 \(got 0\)$/],
    [
      { methodNotAllowed: 'no' },
      /^errorHandlerPlugin\(options\): methodNotAllowed: must be true or false$/,
    ],
    [{ statusByCode: { X: 409 } }, /unknown option "statusByCode"/],
    [
      { exposeInternalError: true },
      /^errorHandlerPlugin\(options\): unknown option "exposeInternalError" \(accepted: typeBaseUrl, exposeInternalErrors, maxDetailLength, retryAfterSeconds, methodNotAllowed\)$/,
    ],
  ])('rejects bad options %j', async (errors, pattern) => {
    const attempt = buildTestApp({ errors: errors as never });
    await expect(attempt).rejects.toBeInstanceOf(InvalidMiddlewareOptionsError);
    await expect(buildTestApp({ errors: errors as never })).rejects.toMatchObject({
      code: 'VSA_MIDDLEWARE_INVALID_OPTIONS',
      statusCode: 500,
      message: expect.stringMatching(pattern),
    });
  });
});

describe('JSON Schema (ajv) validation', () => {
  it('reports every failing field when ajv collects all errors', async () => {
    const { app } = await buildTestApp({
      zod: false,
      server: { ajv: { customOptions: { allErrors: true } } },
      routes: (a) => {
        a.post(
          '/users',
          {
            schema: {
              body: {
                type: 'object',
                required: ['email', 'name'],
                properties: {
                  email: { type: 'string', format: 'email' },
                  name: { type: 'string' },
                },
                additionalProperties: false,
              },
            },
          },
          async () => 'ok',
        );
      },
    });
    const res = await app.inject({ method: 'POST', url: '/users', payload: { email: 5 } });
    expect(res.statusCode).toBe(400);
    expect(
      problemOf(res)
        .errors?.map((e) => e.pointer)
        .sort(),
    ).toEqual(['/body/email', '/body/name']);
    await app.close();
  });
});

describe('errorHandlerPlugin (listening server)', () => {
  let app: FastifyInstance;
  let lines: LogLine[];
  let base: string;

  beforeAll(async () => {
    ({ app, lines } = await buildTestApp({ errors: { exposeInternalErrors: false }, routes }));
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  async function call(path: string, init?: RequestInit) {
    const res = await fetch(base + path, init);
    const body = await res.text();
    expect(res.headers.get('content-type')).toBe(PROBLEM_TYPE);
    return { res, problem: problemDetailsSchema.parse(JSON.parse(body)), body };
  }

  it('maps the transport-level failures', async () => {
    expect((await call('/nowhere')).res.status).toBe(404);
    const wrongMethod = await call('/items/1', { method: 'PATCH' });
    expect(wrongMethod.res.status).toBe(405);
    expect(wrongMethod.res.headers.get('allow')).toBe('GET, HEAD');
    const json = { 'content-type': 'application/json' };
    expect((await call('/users', { method: 'POST', headers: json, body: '{' })).res.status).toBe(
      400,
    );
    const invalid = await call('/users', { method: 'POST', headers: json, body: '{"age":1}' });
    expect(invalid.problem.errors?.map((e) => e.pointer).sort()).toEqual([
      '/body/email',
      '/body/name',
    ]);
    const xml = { 'content-type': 'text/xml' };
    expect((await call('/users', { method: 'POST', headers: xml, body: '<a/>' })).res.status).toBe(
      415,
    );
    const big = JSON.stringify({ t: 'x'.repeat(1000) });
    expect((await call('/small', { method: 'POST', headers: json, body: big })).res.status).toBe(
      413,
    );
  });

  it.each([
    ['VSA_DB_UNIQUE_VIOLATION', 409],
    ['VSA_DB_NOT_FOUND', 404],
    ['VSA_DB_FOREIGN_KEY_VIOLATION', 409],
    ['VSA_DB_SERIALIZATION_FAILURE', 503],
    ['VSA_DB_CONNECTION_UNAVAILABLE', 503],
  ])('maps %s to %i over HTTP', async (code, status) => {
    const { res, problem, body } = await call(`/db/${code}`);
    expect(res.status).toBe(status);
    expect(problem).toMatchObject({
      status,
      code,
      type: `https://vsa.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`,
      instance: `/db/${code}`,
    });
    if (status === 503) {
      expect(res.headers.get('retry-after')).toBe('1');
      expect(problem.detail).toBe(genericDetail(String(res.headers.get('x-request-id'))));
      expect(body).not.toContain('db said');
    } else {
      expect(res.headers.get('retry-after')).toBeNull();
      expect(problem.detail).toBe(`db said ${code}`);
    }
  });

  it.each(family.map((entry, i) => [entry[2], entry[1], i, entry[0].message] as const))(
    '%s answers %i over HTTP',
    async (code, status, i, message) => {
      const { res, problem } = await call(`/family/${i}`);
      const requestId = String(res.headers.get('x-request-id'));
      expect(res.status).toBe(status);
      expect(problem).toMatchObject({
        code,
        status,
        requestId,
        detail: status >= 500 ? genericDetail(requestId) : message,
      });
      expect(res.headers.get('retry-after')).toBe(
        status === 429 ? '30' : status === 503 ? '3' : null,
      );
      const failure = linesFor(lines, requestId).find((l) =>
        String(l.msg).startsWith('request failed'),
      );
      expect(failure?.level).toBe(status === 503 ? 50 : status === 429 ? 40 : 30);
    },
  );

  it.each(Object.entries(nonErrors))(
    'answers a thrown %s with a bare server-error problem over HTTP',
    async (kind, { status, text }) => {
      const { res, problem, body } = await call(`/throw-value/${kind}`);
      const requestId = String(res.headers.get('x-request-id'));
      expect(res.status).toBe(status);
      expect(problem).toEqual({
        type: 'about:blank',
        title: status === 502 ? 'Bad Gateway' : 'Internal Server Error',
        status,
        detail: genericDetail(requestId),
        instance: `/throw-value/${kind}`,
        requestId,
      });
      if (text !== undefined) expect(body).not.toContain(text);
      // The log line describes what was thrown, at error level.
      const failure = linesFor(lines, requestId).find((l) => l.level === 50);
      const err = failure?.err as { type: string; message: string; stack: string } | undefined;
      if (status === 500) expect(err?.message).toMatch(/^Non-error value thrown: /);
      if (text !== undefined) expect(err?.message).toContain(text);
      expect(err?.stack).toMatch(/\n\s+at /);
    },
  );

  it('maps thrown errors and keeps 500 bodies clean', async () => {
    const conflict = await call('/db/VSA_DB_UNIQUE_VIOLATION');
    expect(conflict.res.status).toBe(409);
    const unavailable = await call('/db/VSA_DB_CONNECTION_UNAVAILABLE');
    expect(unavailable.res.status).toBe(503);
    expect(unavailable.res.headers.get('retry-after')).toBe('1');
    const boom = await call('/boom');
    expect(boom.res.status).toBe(500);
    expect(boom.body).not.toMatch(/secret|hang up|\bat\s/);
    expect(boom.problem.requestId).toBe(boom.res.headers.get('x-request-id'));
  });
});
