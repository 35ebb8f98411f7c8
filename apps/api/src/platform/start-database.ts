import { setTimeout as sleep } from 'node:timers/promises';

/** How {@link openWithRetry} reports and paces its attempts. */
export interface RetryAtStart {
  /** Keep trying this long (ms), then give up. */
  readonly retryMs: number;
  /** The `DATABASE_URL` (only its host, port and database name are ever printed). */
  readonly url: string | undefined;
  /** Receives each line to print (one when the first attempt fails, one when giving up). */
  readonly print: (line: string) => void;
}

/**
 * Opens the database through `open`, retrying with exponential backoff (0.25 s doubling to
 * 5 s) for `retryMs`. Failures are printed as one line naming the target, what failed and
 * what to do, never a stack trace; after the last attempt it throws {@link DatabaseUnreachable}.
 */
export async function openWithRetry<T>(open: () => Promise<T>, options: RetryAtStart): Promise<T> {
  const target = describeTarget(options.url);
  const deadline = Date.now() + options.retryMs;
  let delay = 250;
  let announced = false;
  for (;;) {
    try {
      return await open();
    } catch (error) {
      const reason = describeFailure(error);
      if (NOT_RETRIED.has(reason)) {
        options.print(`Database ${target} ${reason}. ${advice(reason)}`);
        throw new DatabaseUnreachable(target, reason);
      }
      if (Date.now() + delay > deadline) {
        options.print(
          `Database ${target} unreachable (${reason}); gave up after ${Math.round(options.retryMs / 1000)} s. ${advice(reason)}`,
        );
        throw new DatabaseUnreachable(target, reason);
      }
      if (!announced) {
        announced = true;
        options.print(
          `Database ${target} unreachable (${reason}); retrying for ${Math.round(options.retryMs / 1000)} s. ${advice(reason)}`,
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }
}

/** Thrown by {@link openWithRetry} once it stops retrying; its message is the printed reason. */
export class DatabaseUnreachable extends Error {
  constructor(target: string, reason: string) {
    super(`Database ${target} unreachable: ${reason}`);
    this.name = 'DatabaseUnreachable';
  }
}

/** `host:port/database` of a URL, without user or password; a bad URL says so. */
export function describeTarget(url: string | undefined): string {
  if (url === undefined) return 'embedded PGlite';
  try {
    const parsed = new URL(url);
    return `at ${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'named by DATABASE_URL (not a valid URL: check host and port 1-65535)';
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ECONNRESET: 'connection reset',
  '3D000': 'database does not exist',
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '57P03': 'server is starting up',
  ERR_SOCKET_BAD_PORT: 'invalid port',
  ERR_INVALID_URL: 'invalid URL',
  '3F000': 'is not migrated (a schema is missing)',
  '42P01': 'is not migrated (a table is missing)',
};

// Reachable, but retrying cannot help: say what to run instead.
const NOT_RETRIED = new Set([REASONS['3F000'], REASONS['42P01']]);

/** A short reason from the error's code (searched through `cause` and aggregated errors). */
export function describeFailure(error: unknown): string {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const record = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof record.code === 'string' && REASONS[record.code] !== undefined) {
      return REASONS[record.code] as string;
    }
    if (current instanceof Error && /timeout/i.test(current.message)) return 'connection timed out';
    queue.push(record.cause);
    if (Array.isArray(record.errors)) queue.push(...record.errors);
  }
  // pg errors carry no URL or password in their message; the first line says what failed.
  const message = error instanceof Error ? (error.message.split('\n', 1)[0] ?? '') : '';
  return message === '' ? 'failed' : message.slice(0, 200);
}

function advice(reason: string): string {
  if (reason === 'database does not exist') {
    return 'Create it (createdb) or fix the database name in DATABASE_URL.';
  }
  if (reason.includes('authentication')) return 'Fix the user or password in DATABASE_URL.';
  if (reason.startsWith('invalid')) return 'Fix DATABASE_URL.';
  if (reason.startsWith('is not migrated')) {
    return 'Run `pnpm db:migrate` (or start with MIGRATE_ON_START=true), then start again.';
  }
  return 'Check that PostgreSQL runs there and that DATABASE_URL names it.';
}
