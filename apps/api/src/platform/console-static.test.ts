import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type ApiServer, buildServer } from '../server.js';
import { captureLogger, testSettings } from '../test-support.js';

const apps: ApiServer[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

async function serve(consoleRoot: string): Promise<ApiServer> {
  const app = await buildServer({
    settings: testSettings,
    logger: captureLogger().logger,
    consoleRoot,
  });
  apps.push(app);
  return app;
}

describe('the console at /console', () => {
  it('serves the built page and its assets, the page re-read, assets cached for good', async () => {
    const root = mkdtempSync(join(tmpdir(), 'console-dist-'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Events console</title>');
    const app = await serve(root);
    expect((await app.inject('/console')).headers.location).toBe('/console/');
    const page = await app.inject('/console/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.body).toContain('Events console');
    // A missing file is a problem from the app's not-found handler (which answers 405 when the
    // path matches a route pattern, here the static wildcard), never the page.
    const missing = await app.inject('/console/assets/nope.js');
    expect(missing.statusCode).toBeGreaterThanOrEqual(400);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('without a build the API starts and /console answers a 404 problem saying how to build', async () => {
    const app = await serve(join(tmpdir(), 'no-such-console-dist'));
    for (const url of ['/console', '/console/', '/console/assets/x.js']) {
      const response = await app.inject(url);
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'CONSOLE_NOT_BUILT' });
      expect(response.json().detail).toContain('pnpm build');
    }
    expect((await app.inject('/health/live')).statusCode).toBe(200);
  });
});
