import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiServer, buildServer } from '../server.js';
import { captureLogger, testSettings } from '../test-support.js';

// Fastify prints process warnings (FSTDEP0xx) once per process, when an instance is built:
// collected from the start of this file, before any server exists.
const warnings: Error[] = [];
process.on('warning', (warning) => warnings.push(warning));

let app: ApiServer | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Resolves a promise from outside: a handler and a hook the test controls. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('closing the server', () => {
  it('finishes a request in flight and answers one arriving while closing with a 503 problem and Connection: close', async () => {
    const entered = signal();
    const release = signal();
    const closing = signal();
    app = await buildServer({
      settings: testSettings,
      logger: captureLogger().logger,
      extend: (server) => {
        server.get('/slow', { schema: { summary: 'slow', response: {} } }, async () => {
          entered.resolve();
          await release.promise;
          return { done: true };
        });
        // Registered after the closing guard's own preClose hook: once it runs, the guard is on.
        server.addHook('preClose', async () => closing.resolve());
      },
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = new URL(address);

    // One kept-alive connection: a slow request, then (while closing) a second one on it.
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write('GET /slow HTTP/1.1\r\nHost: api\r\n\r\n');
    await entered.promise;

    const closed = app.close();
    await closing.promise;
    socket.write('GET /health/live HTTP/1.1\r\nHost: api\r\nAccept: application/json\r\n\r\n');
    // New connections are refused once closing started.
    await expect(fetch(`${address}/health/live`)).rejects.toThrow();
    release.resolve();
    await ended;
    await closed;
    app = undefined;

    const [first, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    expect(first).toContain('{"done":true}');
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\ncontent-type: application\/problem\+json/i);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(second).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(second).toContain('"code":"API_SHUTTING_DOWN"');
  });

  it('prints no Fastify deprecation warning (FSTDEP023: request logging off through a LogController)', async () => {
    app = await buildServer({ settings: testSettings, logger: captureLogger().logger });
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.filter((w) => /^FST/.test(String((w as { code?: unknown }).code)))).toEqual([]);
  });
});
