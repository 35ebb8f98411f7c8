import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const appDir = fileURLToPath(new URL('../..', import.meta.url));
const mainTs = fileURLToPath(new URL('../main.ts', import.meta.url));
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

const children: ChildProcess[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runMain(env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', tsxLoader, mainTs], {
    cwd: appDir,
    encoding: 'utf8',
    timeout: 60_000,
    env: { PATH: process.env.PATH, DB_START_RETRY_MS: '600', PORT: '0', ...env },
  });
}

describe('an unreachable database at start', () => {
  it.each([
    [
      'refused',
      'postgres://postgres@127.0.0.1:1/test',
      /127\.0\.0\.1:1\/test unreachable \(connection refused\)/,
    ],
    [
      'unknown host',
      'postgres://postgres@no-such-host.invalid:5432/test',
      /no-such-host\.invalid:5432\/test unreachable \((host not found|host name lookup failed)\)/,
    ],
    [
      'mistyped database',
      'postgres://postgres@127.0.0.1:5432/no_such_db_vsa',
      /no_such_db_vsa unreachable \(database does not exist\).*createdb/,
    ],
    ['port 99999', 'postgres://postgres@127.0.0.1:99999/test', /DATABASE_URL/],
  ])('%s: one line per phase, no stack trace, exit 1', (_name, url, expected) => {
    const result = runMain({ DATABASE_URL: url });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(expected);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).not.toMatch(/^\s+at /m);
    expect(result.stdout).not.toContain('listening');
    // The first failure and the giving up, nothing else; a URL the settings refuse (port
    // 99999) is reported by the settings check instead, before anything opens.
    if (!result.stderr.startsWith('Invalid settings')) {
      expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    }
  });
});

/** The child's exit code, also when it exited already (its 'exit' event fired before). */
function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * `promise`, or a rejection naming `what` after `ms` (with the server's output), so a hang
 * says which wait hung instead of running into the test's timeout.
 */
function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  output: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not within ${ms} ms; server output:\n${output()}`)),
      ms,
    );
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function startServer(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vsa-api-main-'));
  dirs.push(dir);
  const child = spawn(process.execPath, ['--import', tsxLoader, mainTs], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      PGLITE_DATA_DIR: join(dir, 'pglite'),
      SHUTDOWN_TIMEOUT_MS: '8000',
      RATE_LIMIT_MAX: '0',
      // The probes it calls log at debug.
      LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk) => {
    out += chunk.toString();
  });
  const output = () => out;
  const listening = new Promise<{ child: ChildProcess; url: string; output: () => string }>(
    (resolve, reject) => {
      const timer = setInterval(() => {
        const match = /listening on (http:\/\/[^\s]+) .*API reference: (\S+)\/docs/.exec(out);
        if (match?.[1] !== undefined) {
          clearInterval(timer);
          resolve({ child, url: match[1], output });
        } else if (child.exitCode !== null || child.signalCode !== null) {
          clearInterval(timer);
          reject(new Error(`server exited: ${out}`));
        }
      }, 50);
    },
  );
  return within(listening, 45_000, 'the server listening', output);
}

describe('graceful shutdown', () => {
  it('SIGTERM while requests are in flight: every accepted request answered, exit 0', async () => {
    const { child, url, output } = await startServer();
    // Listened for before anything awaits: under load the server can exit before the last
    // fetch promise settles, and a listener added after 'exit' would wait forever.
    const exited = exitOf(child);
    const requests = Array.from({ length: 30 }, () =>
      fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(12_000) }).then(
        (response) => response.status,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.name,
      ),
    );
    setTimeout(() => child.kill('SIGTERM'), 5);
    const statuses = await within(Promise.all(requests), 15_000, 'the requests settling', output);
    const exit = await within(exited, 15_000, 'the server exiting', output);
    expect(exit).toBe(0);
    // Refused, or reset while its connection was idle (the request not read yet: Node closes
    // idle connections on close), or answered. Every request the server read got its answer.
    for (const status of statuses) {
      expect([200, 503, 'ECONNREFUSED', 'ECONNRESET']).toContain(status);
    }
    const answered = statuses.filter((status) => typeof status === 'number').length;
    const received = output()
      .split('\n')
      .filter((line) => line.includes('"incoming request"'));
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBe(received.length);
    expect(output()).toContain('shut down cleanly');
  }, 90_000);
});

describe('pnpm start', () => {
  it('hands SIGTERM to the server: it shuts down cleanly and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsa-api-start-'));
    dirs.push(dir);
    // From the repository root, as the README's first command runs it.
    const child = spawn('pnpm', ['start'], {
      cwd: fileURLToPath(new URL('../../../..', import.meta.url)),
      env: { ...process.env, PORT: '0', PGLITE_DATA_DIR: join(dir, 'pglite'), NODE_ENV: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk.toString();
    });
    child.stderr?.on('data', (chunk) => {
      out += chunk.toString();
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/listening on http:\/\/\S+ .*\/docs/.test(out)) {
          clearInterval(timer);
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(out));
        }
      }, 50);
    });
    const pid = Number(/"pid":(\d+)/.exec(out)?.[1]);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    const exit = await exited;
    expect(out).toContain('shut down cleanly');
    expect(exit).toBe(0);
    // The server itself is gone, not left running under pid 1.
    expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
