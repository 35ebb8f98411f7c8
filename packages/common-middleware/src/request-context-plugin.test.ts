import { setImmediate as tick } from 'node:timers/promises';
import { getLogContext } from '@vsa/common-logging';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { InvalidMiddlewareOptionsError } from './options-error.js';
import { requestContextPlugin } from './request-context-plugin.js';
import {
  createRequestIdGenerator,
  idGeneratedFor,
  SAFE_ID_PATTERN,
  UNSAFE_GENERATED_ID_WARNING,
} from './request-id.js';
import { buildTestApp, type LogLine, linesFor } from './test-support.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Resolves in the order the test chooses, so concurrent handlers interleave their awaits. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

describe('requestContextPlugin', () => {
  let app: FastifyInstance;
  let lines: LogLine[];
  const gates = new Map<string, ReturnType<typeof gate>>();
  const arrived: string[] = [];

  beforeAll(async () => {
    ({ app, lines } = await buildTestApp({
      routes: (a) => {
        a.get('/ctx', async (request) => {
          await tick();
          await new Promise((resolve) => setTimeout(resolve, 1));
          request.log.info('in handler');
          return { id: request.id, correlationId: request.correlationId, context: getLogContext() };
        });
        a.post('/ctx', { schema: { body: z.object({ name: z.string() }) } }, async (request) => {
          await tick();
          request.log.info('in post handler');
          return { id: request.id, context: getLogContext() };
        });
        a.get('/gated/:name', async (request) => {
          const { name } = request.params as { name: string };
          const g = gate();
          gates.set(name, g);
          arrived.push(name);
          await g.wait;
          await tick();
          request.log.info({ name }, 'after gate');
          return { id: request.id, context: getLogContext() };
        });
      },
    }));
  });
  afterAll(() => app.close());

  it('adopts a safe x-request-id and echoes it', async () => {
    const res = await app.inject({ url: '/ctx', headers: { 'x-request-id': 'abc-123.x:y_z' } });
    expect(res.headers['x-request-id']).toBe('abc-123.x:y_z');
    expect(res.headers['x-correlation-id']).toBe('abc-123.x:y_z');
    expect(res.json()).toEqual({
      id: 'abc-123.x:y_z',
      correlationId: 'abc-123.x:y_z',
      context: { requestId: 'abc-123.x:y_z', correlationId: 'abc-123.x:y_z' },
    });
  });

  it.each([
    ['spaces', 'a b'],
    ['markup', '<script>'],
    ['json injection', '","level":60'],
    ['too long', 'a'.repeat(129)],
    ['empty', ''],
  ])('replaces an unsafe id (%s) with a UUID', async (_name, unsafe) => {
    const res = await app.inject({ url: '/ctx', headers: { 'x-request-id': unsafe } });
    const id = String(res.headers['x-request-id']);
    expect(id).toMatch(UUID);
    expect(res.json().id).toBe(id);
  });

  it('generates a UUID when there is no header', async () => {
    const res = await app.inject({ url: '/ctx' });
    expect(String(res.headers['x-request-id'])).toMatch(UUID);
  });

  it('takes a safe correlation id and falls back to the request id', async () => {
    const safe = await app.inject({
      url: '/ctx',
      headers: { 'x-request-id': 'r1', 'x-correlation-id': 'c1' },
    });
    expect(safe.headers['x-correlation-id']).toBe('c1');
    expect(safe.json().context).toEqual({ requestId: 'r1', correlationId: 'c1' });
    const unsafe = await app.inject({
      url: '/ctx',
      headers: { 'x-request-id': 'r2', 'x-correlation-id': 'bad id' },
    });
    expect(unsafe.headers['x-correlation-id']).toBe('r2');
  });

  it('puts the ids on every log line of the request, after awaits and body parsing', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/ctx',
      headers: { 'x-request-id': 'post-1', 'x-correlation-id': 'corr-1' },
      payload: { name: 'a' },
    });
    expect(res.json().context).toEqual({ requestId: 'post-1', correlationId: 'corr-1' });
    // Fastify writes "incoming request" before any hook runs: it has reqId but no context.
    const own = linesFor(lines, 'post-1').filter((line) => line.msg !== 'incoming request');
    expect(own.map((line) => line.msg)).toEqual(['in post handler', 'request completed']);
    for (const line of own) {
      expect(line).toMatchObject({ requestId: 'post-1', correlationId: 'corr-1' });
    }
  });

  it('carries the context into error logs, even for body errors raised outside it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/ctx',
      headers: { 'x-request-id': 'bad-json-1', 'content-type': 'application/json' },
      payload: '{',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-request-id']).toBe('bad-json-1');
    const failure = linesFor(lines, 'bad-json-1').find(
      (l) => l.msg === 'request failed: 400 Bad Request',
    );
    expect(failure).toMatchObject({ requestId: 'bad-json-1', correlationId: 'bad-json-1' });
  });

  it('keeps the context across body parsing on a listening server', async () => {
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${base}/ctx`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'http-post-1' },
      body: JSON.stringify({ name: 'n' }),
    });
    expect(((await res.json()) as { context: unknown }).context).toEqual({
      requestId: 'http-post-1',
      correlationId: 'http-post-1',
    });
    const handlerLine = linesFor(lines, 'http-post-1').find((l) => l.msg === 'in post handler');
    expect(handlerLine).toMatchObject({ requestId: 'http-post-1' });
  });

  it('keeps concurrent requests apart on a listening server', async () => {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const responses = names.map((name) =>
      fetch(`${base}/gated/${name}`, {
        headers: { 'x-request-id': `req-${name}`, 'x-correlation-id': `corr-${name}` },
      }),
    );
    // Wait until every handler is parked, then release them in reverse order.
    while (arrived.length < names.length) await new Promise((r) => setTimeout(r, 5));
    for (const name of [...names].reverse()) {
      gates.get(name)?.open();
      await tick();
    }
    for (const [i, pending] of responses.entries()) {
      const name = names[i];
      const res = await pending;
      expect(res.headers.get('x-request-id')).toBe(`req-${name}`);
      expect(await res.json()).toEqual({
        id: `req-${name}`,
        context: { requestId: `req-${name}`, correlationId: `corr-${name}` },
      });
      const after = linesFor(lines, `req-${name}`).find((l) => l.msg === 'after gate');
      expect(after).toMatchObject({
        name,
        requestId: `req-${name}`,
        correlationId: `corr-${name}`,
      });
    }
    // No line of one request carries another request's context.
    const withContext = lines.filter(
      (l) => typeof l.reqId === 'string' && l.requestId !== undefined,
    );
    // At least "after gate" and "request completed" per request, so the loop checks something.
    expect(withContext.length).toBeGreaterThanOrEqual(names.length * 2);
    for (const line of withContext) {
      expect(line.requestId).toBe(line.reqId);
    }
    expect(getLogContext()).toBeUndefined();
  });
});

describe('requestContextPlugin without genReqId', () => {
  it('keeps request.id, so log lines and the header agree, and warns once', async () => {
    const { app, lines } = await buildTestApp({
      withGenReqId: false,
      routes: (a) => {
        a.get('/id', async (request) => ({ id: request.id, context: getLogContext() }));
      },
    });
    const first = await app.inject({ url: '/id', headers: { 'x-request-id': 'mine-1' } });
    await app.inject({ url: '/id', headers: { 'x-request-id': 'mine-2' } });
    expect(first.headers['x-request-id']).toBe(first.json().id);
    expect(first.json().context.requestId).toBe(first.json().id);
    expect(lines.filter((l) => String(l.msg).includes('genReqId'))).toHaveLength(1);
    await app.close();
  });
});

describe('options', () => {
  it('uses custom header names', async () => {
    const { app } = await buildTestApp({
      withContext: false,
      withGenReqId: false,
      server: {
        genReqId: createRequestIdGenerator({ header: 'x-trace', generate: () => 'gen-1' }),
      },
      routes: async (a) => {
        await a.register(requestContextPlugin, {
          requestIdHeader: 'x-trace',
          correlationIdHeader: 'x-corr',
        });
        a.get('/id', async (request) => ({ id: request.id }));
      },
    });
    const given = await app.inject({ url: '/id', headers: { 'x-trace': 't-1', 'x-corr': 'k-1' } });
    expect(given.headers['x-trace']).toBe('t-1');
    expect(given.headers['x-corr']).toBe('k-1');
    const generated = await app.inject({ url: '/id', headers: { 'x-trace': 'no way' } });
    expect(generated.headers['x-trace']).toBe('gen-1');
    await app.close();
  });

  it.each([{ requestIdHeader: 'X Bad' }, { correlationIdHeader: '' }])(
    'rejects %j',
    async (options) => {
      const attempt = buildTestApp({
        withContext: false,
        routes: async (a) => {
          await a.register(requestContextPlugin, options);
        },
      });
      await expect(attempt).rejects.toBeInstanceOf(InvalidMiddlewareOptionsError);
    },
  );

  it('rejects an unknown option key, naming it and the allowed keys', async () => {
    const attempt = buildTestApp({
      withContext: false,
      routes: async (a) => {
        await a.register(requestContextPlugin, { requestIdHeadr: 'x-trace' } as never);
      },
    });
    await expect(attempt).rejects.toThrow(
      'requestContextPlugin(options): unknown option "requestIdHeadr" (accepted: requestIdHeader, correlationIdHeader)',
    );
  });

  it("accepts Fastify's own register options next to its own", async () => {
    const { app } = await buildTestApp({
      withContext: false,
      routes: async (a) => {
        await a.register(requestContextPlugin, { logLevel: 'warn', correlationIdHeader: 'x-c' });
        a.get('/id', async (request) => ({ id: request.id }));
      },
    });
    const res = await app.inject({ url: '/id', headers: { 'x-c': 'c-9' } });
    expect(res.headers['x-c']).toBe('c-9');
    await app.close();
  });

  it('rejects a bad generator header or function', () => {
    expect(() => createRequestIdGenerator({ header: 'Bad Header' })).toThrow(
      InvalidMiddlewareOptionsError,
    );
    expect(() => createRequestIdGenerator({ header: 'Bad Header' })).toThrow(
      /^createRequestIdGenerator\(options\): header: must be a lower-case header name/,
    );
    expect(() => createRequestIdGenerator({ generate: 'x' as never })).toThrow(
      'createRequestIdGenerator(options): generate: must be a function returning a string (got a string)',
    );
  });

  it.each([
    [
      'a misspelt key',
      { headers: 'x-trace' },
      'unknown option "headers" (accepted: header, generate)',
    ],
    [
      'another unknown key',
      { generator: () => 'a' },
      'unknown option "generator" (accepted: header, generate)',
    ],
    ['null', null, 'expected an options object (got null)'],
    ['a string', 'x-trace', 'expected an options object (got a string)'],
  ])('rejects generator options: %s', (_name, options, message) => {
    expect(() => createRequestIdGenerator(options as never)).toThrow(InvalidMiddlewareOptionsError);
    expect(() => createRequestIdGenerator(options as never)).toThrow(
      `createRequestIdGenerator(options): ${message}`,
    );
  });
});

describe('createRequestIdGenerator marks the requests it named', () => {
  it('remembers the id of each raw request it saw, and of no other', () => {
    const generator = createRequestIdGenerator();
    const first = { headers: {} };
    const second = { headers: { 'x-request-id': 'caller-1' } };
    const id = generator(first as never);
    expect(id).toMatch(UUID);
    expect(id).toMatch(SAFE_ID_PATTERN);
    expect(generator(second as never)).toBe('caller-1');
    expect(idGeneratedFor(first)).toBe(id);
    expect(idGeneratedFor(second)).toBe('caller-1');
    expect(idGeneratedFor({ headers: {} })).toBeUndefined();
    // The mark is symbol-keyed: Object.keys and JSON.stringify of the request skip it.
    expect(Object.keys(first)).toEqual(['headers']);
  });
});

describe('createRequestIdGenerator with a custom generate()', () => {
  const raw = () => ({ headers: {} }) as never;

  it('uses a safe generated id as is', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const generator = createRequestIdGenerator({ generate: () => 'job-7:run.1' });
    expect(generator(raw())).toBe('job-7:run.1');
    expect(warn).not.toHaveBeenCalled();
  });

  it.each([
    ['spaces', () => 'a b', 'returned "a b", which is not a safe id'],
    ['json injection', () => '","level":60', 'returned "\\",\\"level\\":60"'],
    ['too long', () => 'a'.repeat(129), `returned "${'a'.repeat(79)}…, which is not a safe id`],
    ['empty', () => '', 'returned "", which is not a safe id'],
    ['a number', () => 42 as unknown as string, 'returned 42, which is not a safe id'],
    ['undefined', () => undefined as unknown as string, 'returned undefined'],
    [
      'a throw',
      () => {
        throw new Error('id service down');
      },
      'threw Error: id service down',
    ],
  ])('falls back to a UUID when generate() gives %s, warning once', (_name, generate, reason) => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const generator = createRequestIdGenerator({ generate });
    const first = generator(raw());
    const second = generator(raw());
    expect(first).toMatch(UUID);
    expect(second).toMatch(UUID);
    expect(second).not.toBe(first);
    expect(warn).toHaveBeenCalledTimes(1);
    const [message, options] = warn.mock.calls[0] ?? [];
    expect(String(message)).toContain(`createRequestIdGenerator: generate() ${reason}`);
    expect(String(message)).toContain('Make generate() return 1-128 characters');
    expect(options).toEqual({ code: UNSAFE_GENERATED_ID_WARNING });
  });

  it('keeps a safe inbound header without calling generate()', () => {
    const generate = vi.fn(() => 'bad id');
    const generator = createRequestIdGenerator({ generate });
    expect(generator({ headers: { 'x-request-id': 'in-1' } } as never)).toBe('in-1');
    expect(generate).not.toHaveBeenCalled();
  });

  it('gives a real app safe ids, headers and log lines when generate() misbehaves', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const { app, lines } = await buildTestApp({
      server: { genReqId: createRequestIdGenerator({ generate: () => 'not safe\n' }) },
      routes: (a) => {
        a.get('/id', async (request) => ({ id: request.id, context: getLogContext() }));
      },
    });
    const res = await app.inject({ url: '/id' });
    const id = String(res.headers['x-request-id']);
    expect(id).toMatch(UUID);
    expect(res.json()).toEqual({ id, context: { requestId: id, correlationId: id } });
    expect(linesFor(lines, id).some((l) => l.msg === 'request completed')).toBe(true);
    // The fallback id counts as generated: no "pass genReqId" warning from the plugin.
    expect(lines.some((l) => String(l.msg).includes('genReqId'))).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    await app.close();
  });
});

describe('requestContextPlugin when the async context is lost', () => {
  let app: FastifyInstance;
  let lines: LogLine[];
  // Callbacks a parser hands to a queue drained by a timer started outside any request: they
  // run in the timer's async context, as a stream library or native addon might call back.
  const queue: (() => void)[] = [];
  let drain: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    drain = setInterval(() => {
      for (const next of queue.splice(0)) next();
    }, 5);
    ({ app, lines } = await buildTestApp({
      routes: (a) => {
        a.addContentTypeParser('text/x-late', (_request, _payload, done) => {
          queue.push(() => done(null, 'late'));
        });
        // Fastify re-enters the parser's own context when it calls back; a preParsing hook
        // that calls back from elsewhere is not re-entered by Fastify.
        a.addHook('preParsing', (_request, _reply, payload, done) => {
          queue.push(() => done(null, payload));
        });
        a.post('/late', async (request) => {
          request.log.info('late handler');
          return { body: request.body, context: getLogContext() };
        });
        a.get('/boom', async () => {
          throw new Error('boom');
        });
      },
    }));
  });
  afterAll(async () => {
    clearInterval(drain);
    await app.close();
  });

  it('restores the request context after a hook and a parser that called back from elsewhere', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/late',
      headers: { 'content-type': 'text/x-late', 'x-request-id': 'late-1' },
      payload: 'x',
    });
    expect(res.json()).toEqual({
      body: 'late',
      context: { requestId: 'late-1', correlationId: 'late-1' },
    });
    expect(linesFor(lines, 'late-1').find((l) => l.msg === 'late handler')).toMatchObject({
      requestId: 'late-1',
      correlationId: 'late-1',
    });
  });

  it('keeps both id headers on an error answer', async () => {
    const res = await app.inject({
      url: '/boom',
      headers: { 'x-request-id': 'boom-1', 'x-correlation-id': 'c-boom' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.headers['x-request-id']).toBe('boom-1');
    expect(res.headers['x-correlation-id']).toBe('c-boom');
  });
});
