import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  ColumnTypeEnum,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import { delayFor, type ResolvedBackoff } from './backoff.js';
import { type Driver, ISOLATION_SQL, type MigrationSession, type RawQueryable } from './driver.js';
import {
  ConnectionUnavailableError,
  mapDatabaseError,
  TransactionAbortedError,
  TransactionClosedError,
  TransactionTimeoutError,
} from './errors.js';
import { quoteChannel } from './listen-quote.js';
import { wrapAdapterFactory } from './prisma-adapter.js';
import { quoteIdentifier } from './sql.js';
import type {
  DatabaseLogger,
  IsolationLevel,
  ListenOptions,
  QueryResult,
  Unlisten,
} from './types.js';

// Reconnecting the LISTEN connection: 100 ms plus a full-jitter delay of 100 ms doubling up to
// 5 s, so listeners of a restarted server do not reconnect in lockstep.
const LISTEN_RECONNECT_BACKOFF: ResolvedBackoff = Object.freeze({
  initialMs: 100,
  maxMs: 5_000,
  factor: 2,
  jitter: 1,
});

/** Pool settings; names follow the `dbSettings` fragment. */
export interface PoolOptions {
  /** Max connections (default 10). */
  readonly max?: number;
  /** Close idle connections after this many ms (default 10000). */
  readonly idleTimeoutMs?: number;
  /** Server-side `statement_timeout` in ms (default: none). */
  readonly statementTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity. */
  readonly applicationName?: string;
  /**
   * Give up getting a connection after this many ms (default 5000): connecting, or waiting for a
   * free pooled one when all `max` are taken. Fails with `VSA_DB_CONNECTION_UNAVAILABLE`.
   */
  readonly connectionTimeoutMs?: number;
  /**
   * Client-side `query_timeout` of `pg` in ms (default: none): stop waiting for a statement's
   * answer after this long, even when the server cannot answer at all (stopped, network cut),
   * which `statementTimeoutMs` cannot catch. Fails with `VSA_DB_QUERY_TIMEOUT`; the connection
   * is discarded. Keep it above `statementTimeoutMs` so the server's own cancel comes first.
   */
  readonly queryTimeoutMs?: number;
}

/** First key of the two-key advisory lock that serializes migrators (second: hashtext(schema)). */
const MIGRATION_LOCK_CLASS = 72_707_370;

/**
 * Session settings of a migration connection: no statement_timeout (waiting for another
 * migrator's lock and a long migration must not be cancelled half way) and, for the engine's
 * connections, the schema as search_path. Sent as SQL once connected, not as the `options` of
 * the config: `pg` lets the URL's `?options=` and `?statement_timeout=` replace those.
 */
function migrationSessionSql(quotedSchema?: string): string {
  const timeout = 'SET statement_timeout = 0';
  return quotedSchema === undefined ? timeout : `${timeout}; SET search_path TO ${quotedSchema}`;
}

/** Result rows → indexes of their "char" (oid 18) columns, reported as text by the pool patch. */
const charColumns = new WeakMap<object, number[]>();

/** Restores the Character column type the schema engine expects for "char" columns. */
function fixCharColumns(result: { rows: unknown[]; columnTypes: number[] }): void {
  for (const i of charColumns.get(result.rows) ?? [])
    result.columnTypes[i] = ColumnTypeEnum.Character;
}

/**
 * The schema engine's introspection reads catalog columns of type "char" (oid 18), which
 * adapter-pg cannot map (pglite-prisma-adapter maps them to Character): report them as text
 * to the adapter and mark them, so {@link fixCharColumns} restores the type.
 */
function patchCharColumns(pool: pg.Pool): pg.Pool {
  const mark = (r: pg.QueryResult | undefined): void => {
    const chars: number[] = [];
    for (const [i, f] of (r?.fields ?? []).entries()) {
      if (f.dataTypeID === 18) {
        f.dataTypeID = 25;
        chars.push(i);
      }
    }
    if (chars.length > 0 && Array.isArray(r?.rows)) charColumns.set(r.rows, chars);
  };
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (
      ...args: unknown[]
    ) => {
      // pg.Pool#query calls the client with a callback; direct callers use the promise.
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        args[args.length - 1] = (err: Error | null, r: pg.QueryResult) => {
          if (!err) mark(r);
          return (last as (e: Error | null, r: pg.QueryResult) => void)(err, r);
        };
        return query(...args);
      }
      const result = query(...args);
      return result instanceof Promise
        ? result.then((r: pg.QueryResult) => {
            mark(r);
            return r;
          })
        : result;
    };
  });
  return pool;
}

/** Runs `text` on a pool or client; with a name, as a prepared statement pg reuses per connection. */
function send(
  target: pg.Pool | pg.PoolClient,
  text: string,
  params: readonly unknown[],
  name: string | undefined,
): Promise<pg.QueryResult> {
  return name === undefined
    ? target.query(text, params as unknown[])
    : target.query({ name, text, values: params as unknown[] });
}

function toResult<Row extends object>(result: pg.QueryResult): QueryResult<Row> {
  return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
}

interface Registration {
  readonly channel: string;
  readonly handler: (payload: string) => void;
  readonly options: ListenOptions;
}

/**
 * pg's `query_timeout` stops waiting, but the statement keeps running on the connection, and
 * a pooled connection released without an error (Prisma's transactions do so) would queue the
 * next statement behind it. Closing the socket makes the pool drop that connection.
 */
function discardOnQueryTimeout(client: pg.PoolClient): void {
  const send = client.query.bind(client) as (...args: unknown[]) => unknown;
  const patched = (...args: unknown[]): unknown => {
    const result = send(...args);
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        if (!(error instanceof Error) || error.message !== 'Query read timeout') return;
        // Discarded on purpose: its 'error' event must not reach the process.
        client.on('error', () => {});
        (
          client as unknown as { connection: { stream: { destroy(): void } } }
        ).connection.stream.destroy();
      });
    }
    return result;
  };
  (client as unknown as { query: typeof patched }).query = patched;
}

/** Creates the `pg` driver: one Pool, one dedicated LISTEN connection on demand. */
export function createPgDriver(url: string, pool: PoolOptions, logger?: DatabaseLogger): Driver {
  const config: pg.PoolConfig = {
    connectionString: url,
    max: pool.max ?? 10,
    idleTimeoutMillis: pool.idleTimeoutMs ?? 10_000,
    connectionTimeoutMillis: pool.connectionTimeoutMs ?? 5_000,
    ...(pool.statementTimeoutMs ? { statement_timeout: pool.statementTimeoutMs } : {}),
    ...(pool.queryTimeoutMs ? { query_timeout: pool.queryTimeoutMs } : {}),
    ...(pool.applicationName ? { application_name: pool.applicationName } : {}),
  };
  // Migrations wait for another migrator's lock and may run long: neither timeout applies.
  const {
    statement_timeout: _poolStatementTimeout,
    query_timeout: _poolQueryTimeout,
    ...migrationConfig
  } = config;
  const pgPool = new pg.Pool(config);
  if (pool.queryTimeoutMs) pgPool.on('connect', discardOnQueryTimeout);
  // An idle client dropped by the server (restart, pg_terminate_backend) must not crash the process.
  pgPool.on('error', (err) => logger?.warn({ err }, 'idle database connection failed'));
  // pg-pool takes its idle listener off a client while it is checked out. A backend terminated
  // then (57P01) emits 'error' on the client, which ends the process when nobody listens, and
  // not every holder listens at every moment (between a transaction's cleanup and release). The
  // holder's query rejects with the same error, so this listener only keeps the process alive.
  pgPool.on('connect', (client) => {
    client.on('error', (err) => logger?.debug({ err }, 'database connection lost'));
  });
  let adapter: PrismaPg | undefined;

  async function query<Row extends object>(
    text: string,
    params: readonly unknown[],
    name?: string,
  ): Promise<QueryResult<Row>> {
    try {
      return toResult<Row>(await send(pgPool, text, params, name));
    } catch (error) {
      throw mapDatabaseError(error);
    }
  }

  async function transaction<T>(
    fn: (conn: RawQueryable, handle: unknown) => Promise<T>,
    isolationLevel: IsolationLevel | undefined,
    timeoutMs: number | undefined,
  ): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pgPool.connect();
    } catch (error) {
      throw mapDatabaseError(error);
    }
    let state: 'open' | 'done' | 'timedOut' = 'open';
    let released = false;
    /** Why the connection died while checked out (terminated backend, cut socket). */
    let lost: Error | undefined;
    const release = (destroy?: Error): void => {
      if (released) return;
      released = true;
      client.removeListener('error', onLost);
      client.release(destroy);
    };
    // A checked-out client has no pool listener: without this one, a connection dropped while
    // the transaction is idle between statements emits an unhandled 'error' and kills the process.
    function onLost(error: Error): void {
      lost ??= error;
      // The server rolled the transaction back; destroy the client now so close() need not wait for fn.
      release(error);
    }
    client.on('error', onLost);
    const lostError = (): ConnectionUnavailableError =>
      new ConnectionUnavailableError(
        `The transaction's connection was lost (${lost?.message}), so the server rolled it back; retry the transaction`,
        { cause: lost },
      );
    const conn: RawQueryable = {
      async query<Row extends object>(text: string, params: readonly unknown[], name?: string) {
        if (state === 'timedOut') throw new TransactionTimeoutError(timeoutMs ?? 0);
        if (state === 'done') throw new TransactionClosedError();
        if (lost) throw lostError();
        try {
          return toResult<Row>(await send(client, text, params, name));
        } catch (error) {
          if ((state as string) === 'timedOut') throw new TransactionTimeoutError(timeoutMs ?? 0);
          if (lost) throw lostError();
          throw mapDatabaseError(error);
        }
      },
    };
    const run = async (): Promise<T> => {
      try {
        await client.query(
          isolationLevel ? `BEGIN ISOLATION LEVEL ${ISOLATION_SQL[isolationLevel]}` : 'BEGIN',
        );
        const result = await fn(conn, client);
        if (state === 'timedOut') throw new TransactionTimeoutError(timeoutMs ?? 0);
        if (lost) throw lostError();
        const commit = await client.query('COMMIT');
        state = 'done';
        // COMMIT of a transaction that had a failed statement answers ROLLBACK.
        if (commit.command === 'ROLLBACK') throw new TransactionAbortedError();
        release();
        return result;
      } catch (error) {
        const wasOpen = state === 'open';
        state = state === 'timedOut' ? state : 'done';
        if (wasOpen && !released) {
          try {
            await client.query('ROLLBACK');
            release();
          } catch (rollbackError) {
            release(rollbackError as Error);
          }
        } else {
          release();
        }
        throw mapDatabaseError(error);
      }
    };
    if (!timeoutMs) return run();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        if (state !== 'open') return;
        state = 'timedOut';
        // Closing the connection makes the server roll back, even mid-statement.
        release(new TransactionTimeoutError(timeoutMs));
        reject(new TransactionTimeoutError(timeoutMs));
      }, timeoutMs);
    });
    const running = run();
    // The losing promise must not surface as an unhandled rejection.
    running.catch(() => {});
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- LISTEN on one dedicated connection ----
  const registrations = new Set<Registration>();
  const listened = new Set<string>();
  let listener: pg.Client | undefined;
  /** `pg_backend_pid()` of each listening connection (not `processID`: a pooler forges that). */
  const backendPids = new WeakMap<pg.Client, number>();
  let connecting: Promise<pg.Client> | undefined;
  let closed = false;
  let reconnectTimer: NodeJS.Timeout | undefined;

  function dispatch(msg: pg.Notification): void {
    for (const r of registrations) {
      if (r.channel === msg.channel) {
        try {
          r.handler(msg.payload ?? '');
        } catch (err) {
          logger?.error({ err, channel: msg.channel }, 'notification handler threw');
        }
      }
    }
  }

  async function openListener(): Promise<pg.Client> {
    const client = new pg.Client({
      ...config,
      application_name: `${pool.applicationName ?? 'vsa'}:listen`,
    });
    client.on('notification', dispatch);
    client.on('error', (err) => onListenerLost(client, err));
    client.on('end', () => onListenerLost(client, new Error('LISTEN connection ended')));
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    if (typeof rows[0]?.pid === 'number') backendPids.set(client, rows[0].pid);
    for (const channel of listened) await client.query(`LISTEN ${quoteChannel(channel)}`);
    return client;
  }

  /** Tells one registration (or every one) which session listens now (null: none). */
  function reportSession(pid: number | null, only?: Registration): void {
    for (const r of only === undefined ? registrations : [only]) {
      try {
        r.options.onSession?.(pid);
      } catch (err) {
        logger?.error({ err, channel: r.channel }, 'listen onSession callback threw');
      }
    }
  }

  function onListenerLost(client: pg.Client, err: Error): void {
    if (listener !== client || closed) return;
    listener = undefined;
    client.end().catch(() => {});
    logger?.warn({ err }, 'LISTEN connection lost; reconnecting');
    reportSession(null);
    for (const r of registrations) r.options.onError?.(err);
    scheduleReconnect(1);
  }

  function scheduleReconnect(attempt: number): void {
    // One pending reconnect at a time (a fresh connection can drop again before it fires).
    if (closed || registrations.size === 0 || reconnectTimer !== undefined) return;
    reconnectTimer = setTimeout(
      async () => {
        reconnectTimer = undefined;
        if (closed || registrations.size === 0) return;
        try {
          // Shares the connect of a listen() called during the delay, or reuses the connection
          // it already opened: never a second LISTEN connection.
          const client = await ensureListener();
          logger?.info({ attempt, channels: [...listened] }, 'LISTEN connection re-established');
          reportSession(backendPids.get(client) ?? null);
          for (const r of registrations) r.options.onReconnect?.();
        } catch (err) {
          for (const r of registrations) r.options.onError?.(err as Error);
          scheduleReconnect(attempt + 1);
        }
      },
      100 + delayFor(LISTEN_RECONNECT_BACKOFF, attempt, Math.random()),
    );
  }

  /** The one LISTEN connection: the current one, the one being opened, or a new one. */
  function ensureListener(): Promise<pg.Client> {
    if (listener) return Promise.resolve(listener);
    connecting ??= openListener().then(
      (client) => {
        connecting = undefined;
        if (closed) {
          client.end().catch(() => {});
          throw new ConnectionUnavailableError(
            'Database is closed: create a new one with createDatabase()',
          );
        }
        listener = client;
        return client;
      },
      (error: unknown) => {
        connecting = undefined;
        throw mapDatabaseError(error);
      },
    );
    return connecting;
  }

  async function listen(
    channel: string,
    handler: (payload: string) => void,
    options: ListenOptions,
  ): Promise<Unlisten> {
    const quoted = quoteChannel(channel);
    const reg: Registration = { channel, handler, options };
    registrations.add(reg);
    try {
      const client = await ensureListener();
      if (!listened.has(channel)) {
        listened.add(channel);
        await client.query(`LISTEN ${quoted}`);
      }
      if (listener === client) reportSession(backendPids.get(client) ?? null, reg);
    } catch (error) {
      registrations.delete(reg);
      throw mapDatabaseError(error);
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      registrations.delete(reg);
      if (![...registrations].some((r) => r.channel === channel)) {
        listened.delete(channel);
        await listener?.query(`UNLISTEN ${quoted}`).catch(() => {});
      }
    };
  }

  /**
   * A throw-away shadow database for `migrate dev`: created next to the main one, reached by
   * its own URL (adapter-pg's shadow ignores the name), dropped WITH (FORCE) on dispose.
   */
  async function connectShadow(schema: string) {
    const name = `prisma_shadow_${randomBytes(6).toString('hex')}`;
    await pgPool.query(`create database "${name}"`).catch((error: unknown) => {
      throw mapDatabaseError(error);
    });
    const shadowUrl = new URL(url);
    shadowUrl.pathname = `/${name}`;
    const quoted = quoteIdentifier(schema);
    const shadowPool = patchCharColumns(
      new pg.Pool({
        connectionString: shadowUrl.toString(),
        max: 1,
        // Awaited by the pool before it hands the connection out.
        onConnect: (client) => client.query(migrationSessionSql(quoted)),
      }),
    );
    shadowPool.on('error', () => {});
    await shadowPool.query(`create schema if not exists ${quoted}`);
    const adapter = await new PrismaPg(shadowPool, { schema }).connect();
    const wrapped = Object.create(adapter) as typeof adapter;
    wrapped.queryRaw = async (query) => {
      const result = await adapter.queryRaw.call(wrapped, query);
      fixCharColumns(result as unknown as { rows: unknown[]; columnTypes: number[] });
      return result;
    };
    wrapped.executeScript = async (script: string) => {
      await shadowPool.query(script);
    };
    wrapped.dispose = async () => {
      await shadowPool.end().catch(() => {});
      await pgPool.query(`drop database if exists "${name}" with (force)`).catch(() => {});
    };
    return wrapped;
  }

  return {
    kind: 'postgres',
    query,
    transaction,
    poolUsage: () => ({
      max: config.max ?? 10,
      total: pgPool.totalCount,
      idle: pgPool.idleCount,
      waiting: pgPool.waitingCount,
    }),
    prismaAdapter(): SqlMigrationAwareDriverAdapterFactory {
      adapter ??= new PrismaPg(pgPool, {
        onPoolError: (err) => logger?.warn({ err }, 'idle database connection failed'),
      });
      return adapter;
    },
    // adapter-pg runs a transaction's statements on its PoolClient (`client`): one the raw
    // transaction checked out serves as well (see prisma-adapter.ts, adoptedTransaction).
    adoptsPrismaTransactions: true,
    prismaCommitCheck: {
      // adapter-pg's executeRaw returns only a row count: send COMMIT here to read its command tag.
      async sendCommit(handle: unknown): Promise<boolean> {
        const commit = await (handle as pg.PoolClient).query('COMMIT');
        return commit.command !== 'ROLLBACK';
      },
    },
    rawFromAdapterTransaction(handle: unknown): RawQueryable {
      // adapter-pg's transaction handle is the pg PoolClient it checked out.
      const client = handle as pg.PoolClient;
      return {
        async query<Row extends object>(text: string, params: readonly unknown[], name?: string) {
          try {
            return toResult<Row>(await send(client, text, params, name));
          } catch (error) {
            throw mapDatabaseError(error);
          }
        },
      };
    },
    async migrationSession(
      schema: string,
      sessionOptions: { shadow?: boolean } = {},
    ): Promise<MigrationSession> {
      const quoted = quoteIdentifier(schema);
      // The lock lives on its own connection; the engine gets a one-connection pool whose
      // session search_path is the schema, so unqualified migration SQL and
      // _prisma_migrations land there, as with `?schema=` for the native CLI.
      // Neither connection keeps the pool's or the URL's statement_timeout: waiting for another
      // migrator's lock and a long migration (an index build, a backfill) must not be cancelled.
      const lockClient = new pg.Client({ ...migrationConfig, application_name: 'vsa-db:migrate' });
      await lockClient.connect().catch((error: unknown) => {
        throw mapDatabaseError(error);
      });
      lockClient.on('error', (err) => logger?.warn({ err }, 'migration lock connection failed'));
      try {
        await lockClient.query(migrationSessionSql());
        await lockClient.query('select pg_advisory_lock($1, hashtext($2))', [
          MIGRATION_LOCK_CLASS,
          schema,
        ]);
        await lockClient.query(`create schema if not exists ${quoted}`);
      } catch (error) {
        await lockClient.end().catch(() => {});
        throw mapDatabaseError(error);
      }
      const enginePool = patchCharColumns(
        new pg.Pool({
          ...migrationConfig,
          max: 1,
          // pg-pool awaits onConnect before handing the connection to the engine (its 'connect'
          // event is synchronous); a failing SET fails the checkout instead of running unset.
          onConnect: (client) => client.query(migrationSessionSql(quoted)),
        }),
      );
      enginePool.on('error', (err) => logger?.warn({ err }, 'migration connection failed'));
      const factory = wrapAdapterFactory(new PrismaPg(enginePool, { schema }), {
        schema,
        executeScript: async (script) => {
          await enginePool.query(script);
        },
        fixResult: fixCharColumns as (result: SqlResultSet) => void,
        ...(sessionOptions.shadow ? { connectToShadowDb: () => connectShadow(schema) } : {}),
      });
      return {
        adapter: factory,
        async release() {
          await enginePool.end().catch(() => {});
          await lockClient
            .query('select pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_CLASS, schema])
            .catch(() => {});
          await lockClient.end().catch(() => {});
        },
      };
    },
    listen,
    async close() {
      closed = true;
      clearTimeout(reconnectTimer);
      registrations.clear();
      const l = listener ?? (await connecting?.catch(() => undefined));
      listener = undefined;
      await l?.end().catch(() => {});
      const ending = pgPool.end();
      let timer: NodeJS.Timeout | undefined;
      const ended = await Promise.race([
        ending.then(() => true),
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), 1_000);
        }),
      ]);
      clearTimeout(timer);
      if (!ended) {
        // A client is still checked out (a transaction that never finished): cut its socket
        // so its statement fails with ConnectionUnavailableError instead of hanging close().
        const clients = (pgPool as unknown as { _clients?: pg.Client[] })._clients ?? [];
        for (const client of clients)
          (
            client as unknown as { connection?: { stream?: { destroy(): void } } }
          ).connection?.stream?.destroy();
        await ending;
      }
    },
  };
}
