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
    // SIGNING_MATERIAL has no sensitive name: only the toJSON form hides it.
    const settings = Object.freeze(
      Object.defineProperty(
        {
          PORT: 3000,
          API_TOKEN: PW,
          SIGNING_MATERIAL: PW,
          DATABASE_URL: `postgres://app:${PW}@db/shop`,
        },
        'toJSON',
        {
          value: () => ({
            PORT: 3000,
            API_TOKEN: '[redacted]',
            SIGNING_MATERIAL: '[redacted]',
            DATABASE_URL: 'postgres://app:***@db/shop',
          }),
        },
      ),
    );
    withLogContext({ requestId: 'r' }, () => logger.info(settings, 'settings'));
    logger.info({ settings }, 'nested');
    logger.info({ boot: { settings: [settings] } }, 'deeper');
    expect(out.raw.join('\n')).not.toContain(PW);
    // API_TOKEN is censored again by the key rule; the toJSON form is what hides the rest.
    expect(out.lines()[0]).toMatchObject({
      PORT: 3000,
      API_TOKEN: '[Redacted]',
      SIGNING_MATERIAL: '[redacted]',
      requestId: 'r',
    });
    expect(out.lines()[1]).toMatchObject({
      settings: { SIGNING_MATERIAL: '[redacted]', DATABASE_URL: 'postgres://app:***@db/shop' },
    });
    expect(out.lines()[2]).toMatchObject({
      boot: { settings: [{ SIGNING_MATERIAL: '[redacted]' }] },
    });
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

describe('leaks found on real output (keys by name ending, URL userinfo, query parameters)', () => {
  it('censors keys whose normalized name ends with a sensitive word, at any depth', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    logger.info(
      {
        cookies: { sid: PW },
        sessionToken: PW,
        dbPassword: PW,
        clientSecret: PW,
        privateKey: PW,
        headers: { 'x-api-key': PW, 'X-Auth-Token': PW, 'Proxy-Authorization': PW, accept: 'json' },
        nested: [{ DB_PASSWORD: PW, 'set-cookie': [PW], aws: { secretAccessKey: PW } }],
      },
      'keys',
    );
    expect(out.raw.join('\n')).not.toContain(PW);
    expect(out.lines()[0]).toMatchObject({
      cookies: '[Redacted]',
      sessionToken: '[Redacted]',
      dbPassword: '[Redacted]',
      clientSecret: '[Redacted]',
      privateKey: '[Redacted]',
      headers: {
        'x-api-key': '[Redacted]',
        'X-Auth-Token': '[Redacted]',
        'Proxy-Authorization': '[Redacted]',
        accept: 'json',
      },
      nested: [
        {
          DB_PASSWORD: '[Redacted]',
          'set-cookie': '[Redacted]',
          aws: { secretAccessKey: '[Redacted]' },
        },
      ],
    });
  });

  it('leaves keys that only start with or contain a sensitive word readable', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const harmless = {
      tokenCount: 12,
      usage: { prompt_tokens: 10, total_tokens: 52 },
      passwordPolicy: 'min 12 chars',
      secretName: 'db-credentials-k8s',
      cookieName: 'sid',
      tokenType: 'Bearer',
      keyId: 'k-1',
    };
    logger.info(harmless, 'harmless');
    logger.info({ nested: harmless }, 'nested harmless');
    // The rule errs on the side of hiding: a name ending in a sensitive word is censored.
    logger.info({ csrfToken: 'c', nextPageToken: 'n', hasPassword: true }, 'hidden');
    const [top, nested, hidden] = out.lines();
    expect(top).toMatchObject(harmless);
    expect(nested).toMatchObject({ nested: harmless });
    expect(hidden).toMatchObject({
      csrfToken: '[Redacted]',
      nextPageToken: '[Redacted]',
      hasPassword: '[Redacted]',
    });
  });

  it('hides user-only URL credentials and passwords holding @, keeping user, host and path', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const userOnly = `https://${PW}@git.example.com/org/repo.git`;
    const dsn = `postgres://u:p@${PW}@h:5432/db`;
    logger.info({ userOnly, dsn, deep: { list: [dsn] } }, `clone ${userOnly}`);
    logger.error({ err: new Error(`connect ${dsn} refused`) }, 'db down');
    logger.child({ upstream: userOnly }).info('child');
    expect(out.raw.join('\n')).not.toContain(PW);
    const [fields, error, child] = out.lines();
    expect(fields).toMatchObject({
      userOnly: 'https://***@git.example.com/org/repo.git',
      dsn: 'postgres://u:***@h:5432/db',
      deep: { list: ['postgres://u:***@h:5432/db'] },
      msg: 'clone https://***@git.example.com/org/repo.git',
    });
    expect(error).toMatchObject({ err: { message: 'connect postgres://u:***@h:5432/db refused' } });
    expect(child).toMatchObject({ upstream: 'https://***@git.example.com/org/repo.git' });
  });

  it('hides sensitive query and fragment parameters in URLs, keeping the rest', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const callback = `https://app.example.com/cb?state=s1&code=${PW}&lang=de`;
    const api = `/v1/items?page=2&access_token=${PW}&api_key=${PW}`;
    const signed = `https://bucket.s3.example.com/f.pdf?X-Amz-Credential=${PW}&X-Amz-Signature=${PW}&X-Amz-Expires=60`;
    const implicit = `https://app.example.com/#id_token=${PW}&expires_in=3600`;
    logger.info({ callback, nested: { api, urls: [signed] } }, `redirect to ${implicit}`);
    logger.child({ webhook: `https://hooks.example.com/x?secret=${PW}&v=1` }).info('child');
    logger.info({ req: { method: 'GET', url: `/login?password=${PW}&next=/home` } }, 'plain req');
    expect(out.raw.join('\n')).not.toContain(PW);
    const [first, child, plainReq] = out.lines();
    expect(first).toMatchObject({
      callback: 'https://app.example.com/cb?state=s1&code=***&lang=de',
      nested: {
        api: '/v1/items?page=2&access_token=***&api_key=***',
        urls: [
          'https://bucket.s3.example.com/f.pdf?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60',
        ],
      },
      msg: 'redirect to https://app.example.com/#id_token=***&expires_in=3600',
    });
    expect(child).toMatchObject({ webhook: 'https://hooks.example.com/x?secret=***&v=1' });
    expect(plainReq).toMatchObject({
      req: { method: 'GET', url: '/login?password=***&next=/home' },
    });
  });

  it('serializes a request object (not plain) with its URL parameters hidden', () => {
    const out = capture();
    class IncomingRequest {
      method = 'POST';
      url = `/hooks?sig=${PW}&id=7`;
      headers = { host: 'api.local', authorization: PW };
      socket = { remoteAddress: '10.0.0.1', remotePort: 5555 };
    }
    createLogger({ destination: out }).info({ req: new IncomingRequest() }, 'incoming request');
    expect(out.raw.join('\n')).not.toContain(PW);
    expect(out.lines()[0]?.req).toEqual({
      method: 'POST',
      url: '/hooks?sig=***&id=7',
      host: 'api.local',
      remoteAddress: '10.0.0.1',
      remotePort: 5555,
    });
  });
});
