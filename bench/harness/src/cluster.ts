import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** A PostgreSQL cluster of its own: temp folder, free port, password auth over TCP. */
export interface PrivateCluster {
  readonly port: number;
  /** The `postgres` user's password (the suites scan logs for it). */
  readonly password: string;
  readonly dir: string;
  url(database?: string): string;
  start(): Promise<void>;
  /** `pg_ctl stop -m fast` (every backend ends, like a restart). */
  stop(): Promise<void>;
  createDatabase(name: string): Promise<string>;
  /** Stops the server and removes its folder. Idempotent, never throws. */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

async function asPostgres(cmd: string, args: readonly string[]): Promise<string> {
  // The server refuses to run as root: every cluster command runs as the postgres OS user.
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot
    ? ['runuser', ['-u', 'postgres', '--', join(BIN, cmd), ...args]]
    : [join(BIN, cmd), [...args]];
  const { stdout } = await run(file as string, argv as string[], { timeout: 60_000 });
  return stdout;
}

/** Creates and starts a private cluster (never the machine's shared server). */
export async function createPrivateCluster(
  options: { maxConnections?: number } = {},
): Promise<PrivateCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'vsa-reliability-'));
  chmodSync(dir, 0o755);
  const data = join(dir, 'data');
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const pwfile = join(dir, 'pwfile');
  writeFileSync(pwfile, `${password}\n`);
  const pgUid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
  const pgGid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
  chownSync(dir, pgUid, pgGid);
  chownSync(pwfile, pgUid, pgGid);
  const port = await freePort();
  let running = false;
  const cluster: PrivateCluster = {
    port,
    password,
    dir,
    url: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    async start() {
      await asPostgres('pg_ctl', [
        '-D',
        data,
        '-l',
        join(dir, 'server.log'),
        '-w',
        '-t',
        '30',
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=${options.maxConnections ?? 340} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
        'start',
      ]);
      running = true;
    },
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-w', '-t', '30', '-m', 'fast', 'stop']);
      running = false;
    },
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: cluster.url() });
      await client.connect();
      try {
        await client.query(`create database "${name}"`);
      } finally {
        await client.end();
      }
      return cluster.url(name);
    },
    async destroy() {
      if (running) await cluster.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await asPostgres('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '--no-sync',
    ]);
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
