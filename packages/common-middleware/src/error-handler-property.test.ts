import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceUnavailableError } from './http-errors.js';
import { problemDetailsSchema } from './problem-details.js';
import { buildTestApp } from './test-support.js';

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

describe('any thrown value becomes a valid problem', () => {
  let app: FastifyInstance;
  let current: unknown;

  beforeAll(async () => {
    ({ app } = await buildTestApp({
      errors: { exposeInternalErrors: false },
      routes: (a) => {
        a.get('/throw-sync', () => {
          throw current;
        });
        a.get('/throw-async', async () => {
          await Promise.resolve();
          throw current;
        });
        a.get('/send', (_request, reply) => {
          // reply.send(error) takes the error path only for Error instances.
          reply.send(current instanceof Error ? current : new Error(String(typeof current)));
        });
        a.get('/ok', async () => ({ ok: true }));
      },
    }));
  });
  afterAll(() => app.close());

  it('answers problem+json with a 4xx/5xx status and stays up', async () => {
    await fc.assert(
      fc.asyncProperty(
        thrownValue,
        fc.constantFrom('/throw-sync', '/throw-async', '/send'),
        async (value, url) => {
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
        },
      ),
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

  it('still shows the detail of errors written for clients (expose)', async () => {
    current = new ServiceUnavailableError('Back at noon');
    const res = await app.inject({ url: '/throw-async' });
    expect(res.statusCode).toBe(503);
    expect(res.json().detail).toBe('Back at noon');
  });
});
