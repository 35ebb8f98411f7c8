import { describe, expect, it } from 'vitest';
import { createMethodIndex } from './method-index.js';
import { kebab, type ProblemSettings, toProblem } from './to-problem.js';

const settings: ProblemSettings = {
  typeBaseUrl: 'https://vsa.dev/problems/',
  exposeInternalErrors: false,
  maxDetailLength: 100,
  retryAfterSeconds: 7,
};
const request = { id: 'req-1', url: '/a/b?q=secret' };

describe('toProblem', () => {
  it('kebab-cases codes for the type URI', () => {
    expect(kebab('VSA_DB_UNIQUE_VIOLATION')).toBe('vsa-db-unique-violation');
    expect(kebab('OrderNotFound')).toBe('order-not-found');
    expect(kebab('FST_ERR_CTP_INVALID_MEDIA_TYPE')).toBe('fst-err-ctp-invalid-media-type');
  });

  it('drops the query string from instance', () => {
    expect(toProblem(new Error('x'), request, settings).body.instance).toBe('/a/b');
  });

  it('uses the reply status Fastify already set when the error has none', () => {
    expect(toProblem(new Error('x'), { ...request, replyStatus: 422 }, settings).status).toBe(422);
    expect(toProblem(new Error('x'), { ...request, replyStatus: 200 }, settings).status).toBe(500);
  });

  it('maps ajv and zod validation entries to pointers', () => {
    const problem = toProblem(
      {
        statusCode: 400,
        code: 'FST_ERR_VALIDATION',
        validationContext: 'body',
        validation: [
          {
            instancePath: '',
            message: 'must have required property',
            params: { missingProperty: 'a/b~c' },
          },
          { instancePath: '/items/0/qty', message: 'must be >= 1', params: {} },
          { instancePath: '/', message: 'Invalid input' },
          null,
        ],
      },
      request,
      settings,
    );
    expect(problem.body.errors).toEqual([
      { pointer: '/body/a~1b~0c', detail: 'must have required property' },
      { pointer: '/body/items/0/qty', detail: 'must be >= 1' },
      { pointer: '/body', detail: 'Invalid input' },
      { pointer: '/body', detail: 'is invalid' },
    ]);
  });

  it('caps the number of field errors', () => {
    const validation = Array.from({ length: 500 }, (_, i) => ({
      instancePath: `/f${i}`,
      message: 'bad',
    }));
    const problem = toProblem({ statusCode: 400, validation }, request, settings);
    expect(problem.body.errors).toHaveLength(100);
  });

  it('sends Retry-After for 503 (default or the error own) and 429 only when given', () => {
    const unavailable = toProblem(
      { code: 'VSA_DB_SERIALIZATION_FAILURE', statusCode: 503 },
      request,
      settings,
    );
    expect(unavailable.headers['retry-after']).toBe('7');
    const own = toProblem({ statusCode: 503, retryAfter: 1e12 }, request, settings);
    expect(own.headers['retry-after']).toBe('86400');
    expect(
      toProblem({ statusCode: 429 }, request, settings).headers['retry-after'],
    ).toBeUndefined();
    expect(toProblem({ statusCode: 429, retryAfter: -5 }, request, settings).headers).toEqual({});
  });

  it('hides codes of undeclared server errors but keeps declared ones', () => {
    expect(toProblem({ code: 'ECONNREFUSED' }, request, settings).body.code).toBeUndefined();
    expect(toProblem({ code: 'ECONNREFUSED', statusCode: 404 }, request, settings).body.code).toBe(
      'ECONNREFUSED',
    );
    expect(toProblem({ code: 'bad code!', statusCode: 404 }, request, settings).body.type).toBe(
      'about:blank',
    );
  });

  it('logs server errors as errors with the thrown value described', () => {
    const problem = toProblem({ statusCode: 99 }, request, settings);
    expect(problem.logLevel).toBe('error');
    expect((problem.logErr as Error).message).toContain('statusCode: 99');
    expect(toProblem(new Error('x'), request, settings).logErr).toBeInstanceOf(Error);
  });
});

describe('createMethodIndex', () => {
  it('finds the methods of a concrete path', () => {
    const index = createMethodIndex({});
    index.add('GET', '/users/:id');
    index.add(['PUT', 'patch'], '/users/:id');
    index.add('GET', '/users/:id'); // duplicates are ignored
    index.add('POST', '/files/*');
    expect(index.allowed('/users/42?x=1')).toEqual(['GET', 'PATCH', 'PUT']);
    expect(index.allowed('/files/a/b')).toEqual(['POST']);
    expect(index.allowed('/users')).toEqual([]);
    expect(index.allowed('/users/%E0%A4%A')).toEqual([]);
  });

  it('follows the app routing options', () => {
    const strict = createMethodIndex({});
    const loose = createMethodIndex({ ignoreTrailingSlash: true, caseSensitive: false });
    for (const index of [strict, loose]) index.add('GET', '/Users');
    expect(strict.allowed('/users/')).toEqual([]);
    expect(loose.allowed('/users/')).toEqual(['GET']);
  });
});
