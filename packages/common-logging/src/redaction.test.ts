import { describe, expect, it } from 'vitest';
import { capture } from './capture.fixture.js';
import { createLogger } from './create-logger.js';
import { withLogContext } from './log-context.js';

const PW = 's3cr3t-pw';

describe('default redaction', () => {
  it('censors credentials at the top level and nested, in every usual spelling', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const payload = {
      password: PW,
      API_KEY: PW,
      user: { name: 'ann', profile: { apiKey: PW, api_key: PW, 'api-key': PW } },
      items: [{ token: PW, accessToken: PW, refresh_token: PW }],
      credentials: { user: 'a', pass: PW },
      secret: PW,
      headers: {
        authorization: `Bearer ${PW}`,
        cookie: `sid=${PW}`,
        'set-cookie': [`sid=${PW}`],
        accept: 'json',
      },
    };
    logger.info(payload, 'login');
    const raw = out.raw.join('\n');
    expect(raw).not.toContain(PW);
    expect(out.lines()[0]).toMatchObject({
      password: '[Redacted]',
      API_KEY: '[Redacted]',
      user: {
        name: 'ann',
        profile: { apiKey: '[Redacted]', api_key: '[Redacted]', 'api-key': '[Redacted]' },
      },
      items: [{ token: '[Redacted]', accessToken: '[Redacted]', refresh_token: '[Redacted]' }],
      credentials: '[Redacted]',
      headers: {
        authorization: '[Redacted]',
        cookie: '[Redacted]',
        'set-cookie': '[Redacted]',
        accept: 'json',
      },
    });
    // The caller's object is untouched.
    expect(payload.user.profile.apiKey).toBe(PW);
  });

  it('censors request and response headers produced by serializers', () => {
    const out = capture();
    class Req {
      headers = { authorization: `Bearer ${PW}`, cookie: `a=${PW}`, 'x-api-key': PW, host: 'h' };
    }
    const logger = createLogger({ destination: out }).child(
      {},
      {
        serializers: {
          req: (req: Req) => ({ headers: { ...req.headers } }),
          res: () => ({ headers: { 'set-cookie': `b=${PW}` } }),
        },
      },
    );
    logger.info({ req: new Req(), res: {} }, 'request');
    expect(out.raw.join('')).not.toContain(PW);
    expect(out.lines()[0]).toMatchObject({
      req: {
        headers: {
          authorization: '[Redacted]',
          cookie: '[Redacted]',
          'x-api-key': '[Redacted]',
          host: 'h',
        },
      },
      res: { headers: { 'set-cookie': '[Redacted]' } },
    });
  });

  it('hides passwords inside URLs in fields, nested fields, messages and child bindings', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const url = `postgres://app:${PW}@db:5432/shop`;
    logger.info({ DATABASE_URL: url, db: { url, replicas: [url] } }, `connecting to ${url}`);
    logger.info('retrying %s', url);
    logger.child({ target: url }).info('child');
    expect(out.raw.join('\n')).not.toContain(PW);
    const [first, second, third] = out.lines();
    expect(first).toMatchObject({
      DATABASE_URL: 'postgres://app:***@db:5432/shop',
      db: { url: 'postgres://app:***@db:5432/shop', replicas: ['postgres://app:***@db:5432/shop'] },
      msg: 'connecting to postgres://app:***@db:5432/shop',
    });
    expect(second?.msg).toBe('retrying postgres://app:***@db:5432/shop');
    expect(third?.target).toBe('postgres://app:***@db:5432/shop');
  });

  it('logs objects that have toJSON (settings) in their JSON form', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    // Shaped like @vsa/common-config's settings: real values enumerable, redacted toJSON.
    const settings = Object.freeze(
      Object.defineProperty(
        { PORT: 3000, API_TOKEN: PW, DATABASE_URL: `postgres://app:${PW}@db/shop` },
        'toJSON',
        {
          value: () => ({
            PORT: 3000,
            API_TOKEN: '[redacted]',
            DATABASE_URL: 'postgres://app:***@db/shop',
          }),
        },
      ),
    );
    withLogContext({ requestId: 'r' }, () => logger.info(settings, 'settings'));
    logger.info({ settings }, 'nested');
    logger.info({ boot: { settings: [settings] } }, 'deeper');
    expect(out.raw.join('\n')).not.toContain(PW);
    expect(out.lines()[0]).toMatchObject({ PORT: 3000, API_TOKEN: '[redacted]', requestId: 'r' });
    expect(out.lines()[1]).toMatchObject({
      settings: { API_TOKEN: '[redacted]', DATABASE_URL: 'postgres://app:***@db/shop' },
    });
    expect(out.lines()[2]).toMatchObject({ boot: { settings: [{ API_TOKEN: '[redacted]' }] } });
  });

  it('takes extra redact paths and key names', () => {
    const out = capture();
    const logger = createLogger({
      destination: out,
      redact: ['card.number', 'body.*.ssn'],
      redactKeys: ['iban'],
    });
    logger.info({
      card: { number: '4111', brand: 'visa' },
      body: { a: { ssn: '123' } },
      deep: { bankIban: 'x', iban: 'DE00', IBAN: 'DE01' },
    });
    expect(out.lines()[0]).toMatchObject({
      card: { number: '[Redacted]', brand: 'visa' },
      body: { a: { ssn: '[Redacted]' } },
      deep: { bankIban: 'x', iban: '[Redacted]', IBAN: '[Redacted]' },
    });
  });
});
