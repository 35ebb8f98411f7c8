import { describe, expect, it } from 'vitest';
import { capture } from './capture.fixture.js';
import { createLogger } from './create-logger.js';
import { scrubUrlCredentials } from './scrub-url.js';
import { createErrorSerializer, serializeError } from './serialize-error.js';

class DbError extends Error {
  readonly code = 'VSA_DB_CONNECT';
}

describe('error serialization', () => {
  it('nests the cause chain with type, message, stack and code', () => {
    const out = capture();
    const root = Object.assign(new Error('ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
      errno: -111,
    });
    const mid = new DbError('cannot connect to postgres://app:hunter2@db:5432/shop', {
      cause: root,
    });
    const top = new Error('order not placed', { cause: mid });
    createLogger({ destination: out }).error({ err: top }, 'request failed');
    const line = out.lines()[0];
    expect(out.raw[0]).not.toContain('hunter2');
    expect(line).toMatchObject({
      msg: 'request failed',
      err: {
        type: 'Error',
        message: 'order not placed',
        stack: expect.stringContaining('order not placed'),
        cause: {
          type: 'DbError',
          code: 'VSA_DB_CONNECT',
          message: 'cannot connect to postgres://app:***@db:5432/shop',
          cause: {
            type: 'Error',
            message: 'ECONNREFUSED 127.0.0.1:5432',
            code: 'ECONNREFUSED',
            errno: -111,
          },
        },
      },
    });
  });

  it('serializes an error passed directly, using its message', () => {
    const out = capture();
    createLogger({ destination: out }).error(new TypeError('bad input'));
    expect(out.lines()[0]).toMatchObject({
      msg: 'bad input',
      err: { type: 'TypeError', message: 'bad input' },
    });
  });

  it('handles circular causes, non-error causes, aggregate errors, secrets in fields, and a code on the prototype', () => {
    const out = capture();
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    class Coded extends Error {}
    Object.defineProperty(Coded.prototype, 'code', { value: 'PROTO_CODE' });
    const agg = new AggregateError([new Coded('one'), new Error('two')], 'many');
    const withFields = Object.assign(
      new Error('login failed', { cause: { reason: 'locked', token: 'tkn' } }),
      {
        password: 'pw',
        url: 'https://u:p@api.example.com/x',
      },
    );
    const logger = createLogger({ destination: out });
    logger.error({ err: b }, 'circular');
    logger.error({ err: agg }, 'aggregate');
    logger.error({ err: withFields }, 'fields');
    logger.error({ error: new Error('under error key') }, 'error key');
    const [circular, aggregate, fields, errorKey] = out.lines();
    expect(circular).toMatchObject({
      err: { message: 'b', cause: { message: 'a', cause: '[Circular]' } },
    });
    expect(aggregate).toMatchObject({
      err: {
        type: 'AggregateError',
        aggregateErrors: [{ message: 'one', code: 'PROTO_CODE' }, { message: 'two' }],
      },
    });
    expect(fields).toMatchObject({
      err: {
        password: '[Redacted]',
        url: 'https://u:***@api.example.com/x',
        cause: { reason: 'locked', token: '[Redacted]' },
      },
    });
    expect(errorKey).toMatchObject({ error: { type: 'Error', message: 'under error key' } });
  });

  it('never throws on hostile errors', () => {
    const out = capture();
    const hostile = new Error('x');
    Object.defineProperty(hostile, 'boom', {
      enumerable: true,
      get() {
        throw new Error('getter');
      },
    });
    createLogger({ destination: out }).error({ err: hostile }, 'hostile');
    expect(out.lines()[0]).toMatchObject({
      msg: 'hostile',
      err: { message: '[unserializable error]' },
    });
  });
});

describe('createErrorSerializer and scrubUrlCredentials used directly', () => {
  it('serializes with the given key names in any spelling, on top of the default rule', () => {
    const serialize = createErrorSerializer(new Set(['iban']));
    const error = Object.assign(new Error('at postgres://u:pw@db/x?sslpassword=pw2'), {
      IBAN: 'DE00',
      bankIban: 'DE01',
      dbPassword: 'pw3',
      code: 'E1',
    });
    expect(serialize(error)).toMatchObject({
      type: 'Error',
      message: 'at postgres://u:***@db/x?sslpassword=***',
      IBAN: '[Redacted]',
      bankIban: 'DE01',
      dbPassword: '[Redacted]',
      code: 'E1',
    });
  });

  it('rejects bad arguments with VSA_LOGGING_INVALID_ARGUMENT', () => {
    expect(() => createErrorSerializer(['password'] as never)).toThrow(
      expect.objectContaining({ code: 'VSA_LOGGING_INVALID_ARGUMENT' }),
    );
    expect(() => createErrorSerializer(new Set([42]) as never)).toThrow(
      expect.objectContaining({ code: 'VSA_LOGGING_INVALID_ARGUMENT' }),
    );
    expect(() => scrubUrlCredentials(undefined as never)).toThrow(
      expect.objectContaining({ code: 'VSA_LOGGING_INVALID_ARGUMENT' }),
    );
    expect(scrubUrlCredentials('redis://:s3cret@cache:6379 and https://a:b@x/y')).toBe(
      'redis://:***@cache:6379 and https://a:***@x/y',
    );
  });

  it('scrubUrlCredentials hides whole userinfo secrets and sensitive parameters only', () => {
    const cases: [string, string][] = [
      ['https://TOKEN@host/x', 'https://***@host/x'],
      ['postgres://u:p@ss@h/db', 'postgres://u:***@h/db'],
      ['postgres://u:p:w@h/db', 'postgres://u:***@h/db'],
      ['see https://h/p@q and mail a@b.c', 'see https://h/p@q and mail a@b.c'],
      ['https://h/x?q=a@b&key=k1#frag', 'https://h/x?q=a@b&key=***#frag'],
      ['/cb?code=c1&state=s1', '/cb?code=***&state=s1'],
      [
        '/t?refresh_token=r&client_secret=s&signature=g&key=k&lang=de',
        '/t?refresh_token=***&client_secret=***&signature=***&key=***&lang=de',
      ],
      ['/find?keyword=shoes&author=ann&q=x', '/find?keyword=***&author=***&q=x'],
      ['/search?zipcode=10115&token=', '/search?zipcode=10115&token='],
      ['order placed', 'order placed'],
      ['retry attempt=3 of 5', 'retry attempt=3 of 5'],
    ];
    for (const [input, expected] of cases) expect(scrubUrlCredentials(input), input).toBe(expected);
    // Inside serialized JSON (child bindings) it never crosses or breaks a string.
    const json = JSON.stringify({ a: 'redis://host', b: 'x@y', c: '/p?token=t\\"q', d: 'e' });
    const scrubbed = scrubUrlCredentials(json);
    expect(JSON.parse(scrubbed)).toEqual({
      a: 'redis://host',
      b: 'x@y',
      c: '/p?token=***\\"q',
      d: 'e',
    });
  });
});

describe('serializeError', () => {
  it('scrubs like the logger outside a logger: no URL password, no secret field, no raw bytes', () => {
    const err = Object.assign(
      new Error('connect postgres://u:S3cret@h/db failed', {
        cause: new Error('inner postgres://u:S3cret@h/db'),
      }),
      { code: 'E_DB', password: 'S3cret', rawPacket: Buffer.from('Authorization: S3cret') },
    );
    const serialized = serializeError(err);
    expect(JSON.stringify(serialized)).not.toContain('S3cret');
    expect(serialized).toMatchObject({
      type: 'Error',
      code: 'E_DB',
      message: 'connect postgres://u:***@h/db failed',
      password: '[Redacted]',
      rawPacket: '[21 bytes not logged]',
      cause: { message: 'inner postgres://u:***@h/db' },
    });
  });
});
