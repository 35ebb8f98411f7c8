import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidMiddlewareOptionsError } from './options-error.js';
import {
  problemDetailsJsonSchema,
  problemDetailsSchema,
  problemResponses,
} from './problem-details.js';
import { buildTestApp } from './test-support.js';

describe('problem details schemas', () => {
  it('builds response entries for error statuses only', () => {
    expect(Object.keys(problemResponses(400, 404, 503))).toEqual(['400', '404', '503']);
    expect(problemResponses(409)[409]).toBe(problemDetailsSchema);
    for (const bad of [200, 399, 600, 404.5, Number.NaN]) {
      expect(() => problemResponses(bad)).toThrow(InvalidMiddlewareOptionsError);
    }
  });

  it('accepts extension members, as RFC 9457 requires of clients', () => {
    const body = {
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'x',
      instance: '/a',
      requestId: 'r',
      balance: 30,
    };
    expect(problemDetailsSchema.parse(body)).toEqual(body);
    expect(problemDetailsSchema.safeParse({ ...body, status: 200 }).success).toBe(false);
  });

  it('exports a self-contained JSON Schema', () => {
    expect(problemDetailsJsonSchema).toMatchObject({
      type: 'object',
      required: ['type', 'title', 'status', 'detail', 'instance', 'requestId'],
    });
    expect(JSON.stringify(problemDetailsJsonSchema)).not.toContain('$ref');
  });

  it('leaves success responses of zod routes alone and errors unreshaped', async () => {
    const { app } = await buildTestApp({
      routes: (a) => {
        a.get(
          '/zod/:fail',
          {
            schema: {
              response: { 200: z.object({ ok: z.boolean() }), ...problemResponses(404) },
            },
          },
          async (request) => {
            if ((request.params as { fail: string }).fail === 'yes') {
              throw Object.assign(new Error('gone'), { statusCode: 404, code: 'X_GONE' });
            }
            return { ok: true, dropped: 'by serializer' };
          },
        );
      },
    });
    const ok = await app.inject({ url: '/zod/no' });
    expect(ok.json()).toEqual({ ok: true });
    const failed = await app.inject({ url: '/zod/yes' });
    expect(failed.statusCode).toBe(404);
    expect(failed.json()).toMatchObject({ code: 'X_GONE', detail: 'gone' });
    await app.close();
  });

  it('works as a JSON Schema response on ajv routes', async () => {
    const { app } = await buildTestApp({
      zod: false,
      routes: (a) => {
        a.get('/json', { schema: { response: { 404: problemDetailsJsonSchema } } }, async () => {
          throw Object.assign(new Error('nope'), { statusCode: 404 });
        });
      },
    });
    const res = await app.inject({ url: '/json' });
    expect(res.statusCode).toBe(404);
    expect(problemDetailsSchema.parse(res.json()).detail).toBe('nope');
    await app.close();
  });
});
