import { testEngines } from '@vsa/common-db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Infrastructure } from '../../infrastructure.js';
import { type ApiServer, buildServer } from '../../server.js';
import { createTestInfrastructure } from '../../test-infrastructure.js';
import { captureLogger, TEST_ADMIN_TOKEN, testSettings } from '../../test-support.js';

const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const SHIPPING_GROUP = 'shipping.schedule-shipment';

describe.each(testEngines())('admin slice on %s', (engine) => {
  let infrastructure: Infrastructure;
  let app: ApiServer;

  beforeAll(async () => {
    infrastructure = await createTestInfrastructure(engine);
    app = await buildServer({
      settings: testSettings,
      logger: captureLogger().logger,
      infrastructure,
    });
  });
  afterAll(async () => {
    await app?.close();
    await infrastructure?.close();
  });

  it.each([
    ['GET', '/admin/status/consumers'],
    ['GET', '/admin/status/events.asyncapi.json'],
    ['GET', '/admin/events/orders'],
    ['GET', '/admin/dead-letters'],
    ['GET', '/admin/channels'],
    ['GET', '/admin/events/orders/recent'],
    ['GET', '/admin/status/lag-history'],
    ['POST', '/admin/dead-letters/redrive'],
    ['POST', `/admin/groups/${SHIPPING_GROUP}/reset`],
  ] as const)('%s %s is a 401 problem without a token or with a wrong one', async (method, url) => {
    for (const headers of [{}, { authorization: `Bearer ${TEST_ADMIN_TOKEN}x` }]) {
      const response = await app.inject({ method, url, headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json().code).toBe('ADMIN_UNAUTHENTICATED');
      expect(response.headers['www-authenticate']).toBe('Bearer realm="admin"');
    }
  });

  it('the old anonymous /status routes are gone', async () => {
    const response = await app.inject({ method: 'GET', url: '/status/consumers' });
    expect(response.statusCode).toBe(404);
  });

  // The backend pid of a held transaction is shown (what pg_terminate_backend takes, the
  // console names it); the API's own host:pid (lease owners) is not.
  it('reports consumer groups with lag, without lease owners, host pids, application names or SQL', async () => {
    const placed = await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customer: 'ops', lines: [{ sku: 'OPS-1', quantity: 1 }] },
    });
    expect(placed.statusCode).toBe(201);
    const status = await vi.waitFor(
      async () => {
        const response = await app.inject({
          method: 'GET',
          url: '/admin/status/consumers',
          headers: auth,
        });
        expect(response.statusCode).toBe(200);
        const body = response.json();
        expect(body.groups.map((g: { group: string }) => g.group)).toContain(SHIPPING_GROUP);
        return response.body;
      },
      { timeout: 10_000, interval: 50 },
    );
    for (const secret of ['leaseOwner', 'applicationName', 'query', `${process.pid}`]) {
      expect(status).not.toContain(secret);
    }
    const group = JSON.parse(status).groups.find(
      (g: { group: string }) => g.group === SHIPPING_GROUP,
    );
    expect(group.members).toBeGreaterThanOrEqual(0);
  });

  it('the console reads: channels, the newest events of a channel, lag history', async () => {
    const channels = await app.inject({ method: 'GET', url: '/admin/channels', headers: auth });
    expect(channels.statusCode).toBe(200);
    expect(channels.json().channels).toContainEqual({
      channel: 'orders',
      types: expect.arrayContaining(['OrderPlaced']),
    });

    await app.inject({
      method: 'POST',
      url: '/orders',
      payload: { customer: 'tail', lines: [{ sku: 'TAIL-1', quantity: 1 }] },
    });
    const recent = await app.inject({
      method: 'GET',
      url: '/admin/events/orders/recent?limit=5',
      headers: auth,
    });
    expect(recent.statusCode).toBe(200);
    const events = recent.json().events;
    expect(events[0]).toMatchObject({ type: 'OrderPlaced', payload: { customer: 'tail' } });
    const seqs = events.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a: number, b: number) => b - a));

    await app.inject({ method: 'GET', url: '/admin/status/consumers', headers: auth });
    const history = await app.inject({
      method: 'GET',
      url: '/admin/status/lag-history',
      headers: auth,
    });
    expect(history.statusCode).toBe(200);
    expect(history.json().groups[`${SHIPPING_GROUP}/inventory`]).toEqual(
      expect.arrayContaining([expect.objectContaining({ lagEvents: expect.any(Number) })]),
    );
  });

  it('lists events by channel and replays a group', async () => {
    const events = await app.inject({
      method: 'GET',
      url: '/admin/events/orders?limit=10',
      headers: auth,
    });
    expect(events.statusCode).toBe(200);
    expect(events.json().events[0]).toMatchObject({ channel: 'orders', type: 'OrderPlaced' });

    const reset = await app.inject({
      method: 'POST',
      url: `/admin/groups/${SHIPPING_GROUP}/reset`,
      headers: auth,
      payload: { to: 'now' },
    });
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({ group: SHIPPING_GROUP, cursor: expect.any(String) });

    const unknown = await app.inject({
      method: 'POST',
      url: '/admin/groups/no-such-group/reset',
      headers: auth,
      payload: { to: 'beginning' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('lists dead letters and redrives a group with none', async () => {
    const list = await app.inject({ method: 'GET', url: '/admin/dead-letters', headers: auth });
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ deadLetters: [] });
    const redrive = await app.inject({
      method: 'POST',
      url: '/admin/dead-letters/redrive',
      headers: auth,
      payload: { group: SHIPPING_GROUP },
    });
    expect(redrive.statusCode).toBe(200);
    expect(redrive.json()).toEqual({ redriven: 0 });
  });
});
