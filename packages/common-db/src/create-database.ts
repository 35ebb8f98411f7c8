import type { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import type { Driver, RawQueryable } from './driver.js';
import {
  ConnectionUnavailableError,
  DB_INVALID_ARGUMENT,
  type InvalidArgumentError,
  invalidArgument,
  mapDatabaseError,
  PrismaNotConfiguredError,
  TransactionClosedError,
  TransactionTimeoutError,
} from './errors.js';
import { attachDriver } from './internals.js';
import { LazyPrismaTransaction } from './lazy-prisma.js';
import { openPGlite } from './open-pglite.js';
import { createPgDriver, type PoolOptions } from './pg-driver.js';
import { createPGliteDriver } from './pglite-driver.js';
import { type TransactionSlot, transactionSlots, wrapAdapterFactory } from './prisma-adapter.js';
import { withTypedErrors } from './prisma-errors.js';
import { resolveTarget } from './resolve-url.js';
import {
  DEFAULT_RETRY,
  type ResolvedTransactionOptions,
  resolveTransactionOptions,
  runWithRetry,
} from './retry.js';
import { compileSql } from './sql.js';
import type {
  Database,
  DatabaseLogger,
  HealthReport,
  IsolationLevel,
  ListenOptions,
  QueryOptions,
  QueryResult,
  RunTransactionOptions,
  Transaction,
  TransactionClient,
} from './types.js';

const callbackSchema = z
  .custom<(...args: never[]) => void>((value) => typeof value === 'function', 'must be a function')
  .optional();

// Parsed once per listen() call.
const listenOptionsSchema = z.strictObject({
  onReconnect: callbackSchema,
  onError: callbackSchema,
  onSession: callbackSchema,
});

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null;
const msInteger = z.int().min(0).optional();

// Parsed once in createDatabase; the resolved value is what the drivers receive.
const createDatabaseSchema = z.strictObject({
  url: z.string().optional(),
  PrismaClient: z
    .custom<PrismaClientConstructor<unknown>>(
      (value) => typeof value === 'function',
      'must be the generated PrismaClient class',
    )
    .optional(),
  logger: z.custom<DatabaseLogger>(isObject, 'must be a logger with info() and warn()').optional(),
  pool: z
    .strictObject({
      max: z.int().min(1).optional(),
      idleTimeoutMs: msInteger,
      statementTimeoutMs: msInteger,
      connectionTimeoutMs: msInteger,
      queryTimeoutMs: msInteger,
      applicationName: z.string().optional(),
    })
    .optional(),
  dataDir: z.string().optional(),
  pglite: z.custom<PGlite>(isObject, 'must be an open PGlite instance').optional(),
  transactionTimeoutMs: z.number().positive().default(30_000),
  closeTimeoutMs: z.number().positive().default(5_000),
});

type ResolvedCreateDatabaseOptions<Client> = Omit<
  z.output<typeof createDatabaseSchema>,
  'PrismaClient' | 'pool'
> & {
  readonly PrismaClient?: PrismaClientConstructor<Client> | undefined;
  readonly pool?: PoolOptions | undefined;
};

/** The generated `PrismaClient` class (from `prisma-client` generator output). */
export type PrismaClientConstructor<Client> = new (options: {
  adapter: SqlDriverAdapterFactory;
}) => Client;

/** Options of {@link createDatabase}. */
export interface CreateDatabaseOptions<Client = never> {
  /**
   * `postgres://…` / `postgresql://…` for PostgreSQL; `memory:`, `pglite:<folder>`, a folder
   * path, or nothing for embedded PGlite (folder `dataDir`, default `.data/pglite`).
   */
  readonly url?: string | undefined;
  /** The generated PrismaClient class; `db.prisma` and `tx.prisma` need it. */
  readonly PrismaClient?: PrismaClientConstructor<Client>;
  /** Receives reconnect and shutdown messages. */
  readonly logger?: DatabaseLogger;
  /** pg pool settings (ignored by PGlite). */
  readonly pool?: PoolOptions;
  /** PGlite folder when `url` is empty. */
  readonly dataDir?: string | undefined;
  /** An already open PGlite instance to use (the database closes it). */
  readonly pglite?: PGlite;
  /** Default `timeout` (ms) of transactions (default 30000). */
  readonly transactionTimeoutMs?: number;
  /** How long `close()` lets running statements finish before cutting connections (default 5000). */
  readonly closeTimeoutMs?: number;
}

interface PrismaInternals {
  $transaction<T>(
    fn: (tx: unknown) => Promise<T>,
    options: { isolationLevel?: IsolationLevel; timeout: number; maxWait: number },
  ): Promise<T>;
  $disconnect(): Promise<void>;
}

/** Statement names pg and the server accept unquoted and unambiguously (NAMEDATALEN - 1). */
const STATEMENT_NAME = /^[A-Za-z0-9_]{1,63}$/;

/** Why `query(text, params, options)` cannot run, or undefined when its arguments are well formed. */
function invalidQueryArguments(
  text: unknown,
  params: unknown,
  options: unknown,
): InvalidArgumentError | undefined {
  if (typeof text !== 'string' || text.length === 0) {
    return invalidArgument('query(text, params): text must be a non-empty string');
  }
  if (!Array.isArray(params)) {
    return invalidArgument('query(text, params): params must be an array of values');
  }
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    return invalidArgument('query(text, params, options): options must be { name? }');
  }
  const name = (options as { name?: unknown }).name;
  if (name !== undefined && (typeof name !== 'string' || !STATEMENT_NAME.test(name))) {
    return invalidArgument(
      `query(text, params, { name }): name must be 1-63 characters of A-Z, a-z, 0-9 and _, got ${JSON.stringify(name)}`,
    );
  }
  return undefined;
}

class SqlTransaction<Client> implements Transaction<Client> {
  readonly kind: Database['kind'];
  readonly #conn: RawQueryable;
  readonly #prisma: TransactionClient<Client> | LazyPrismaTransaction | undefined;

  constructor(
    kind: Database['kind'],
    conn: RawQueryable,
    prisma: TransactionClient<Client> | LazyPrismaTransaction | undefined,
  ) {
    this.kind = kind;
    this.#conn = conn;
    this.#prisma = prisma;
  }

  get prisma(): TransactionClient<Client> {
    if (this.#prisma === undefined) throw new PrismaNotConfiguredError();
    if (this.#prisma instanceof LazyPrismaTransaction) {
      return this.#prisma.client() as TransactionClient<Client>;
    }
    return this.#prisma;
  }

  async sql<Row extends object = Record<string, unknown>>(
    strings: TemplateStringsArray,
    ...values: readonly unknown[]
  ): Promise<Row[]> {
    const { text, params } = compileSql(strings, values);
    return (await this.#conn.query<Row>(text, params)).rows;
  }

  query<Row extends object = Record<string, unknown>>(
    text: string,
    params: readonly unknown[] = [],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>> {
    const invalid = invalidQueryArguments(text, params, options);
    return invalid ? Promise.reject(invalid) : this.#conn.query<Row>(text, params, options?.name);
  }
}

/**
 * Opens a database: PostgreSQL through `pg` (+ `@prisma/adapter-pg`) or embedded PGlite
 * (+ `pglite-prisma-adapter`), with an optional Prisma client on the same driver.
 *
 * @example
 * import { PrismaClient } from './generated/prisma/client.js';
 * const db = await createDatabase({ url: process.env.DATABASE_URL, PrismaClient });
 * await db.transaction(async (tx) => {
 *   const order = await tx.prisma.order.create({ data: { customer: 'ada', total: 42 } });
 *   await tx.sql`insert into audit (what) values (${`placed ${order.id}`})`;
 * });
 */
export async function createDatabase<Client = never>(
  options: CreateDatabaseOptions<Client> = {},
): Promise<Database<Client>> {
  const resolved = parseOptions(createDatabaseSchema, options ?? {}, {
    where: 'createDatabase(options)',
    code: DB_INVALID_ARGUMENT,
  }) as ResolvedCreateDatabaseOptions<Client>;
  let driver: Driver;
  if (resolved.pglite) {
    driver = createPGliteDriver(resolved.pglite);
  } else {
    const target = resolveTarget(resolved.url, resolved.dataDir);
    if (target.kind === 'postgres') {
      driver = createPgDriver(target.url, resolved.pool ?? {}, resolved.logger);
    } else {
      try {
        driver = createPGliteDriver(await openPGlite(target.location));
      } catch (error) {
        throw new ConnectionUnavailableError(
          `Could not open PGlite${target.location.kind === 'dir' ? ` in ${target.location.dir}` : ''}: ${String((error as Error).message)}`,
          { cause: error },
        );
      }
    }
  }
  const kind = driver.kind;
  const defaultTimeout = resolved.transactionTimeoutMs;
  const closeTimeout = resolved.closeTimeoutMs;

  let prisma: Omit<Client, '$on'> | undefined;
  if (resolved.PrismaClient) {
    const adapter = wrapAdapterFactory(driver.prismaAdapter(), {
      isolationInsideTransaction: kind === 'pglite',
      commitCheck: driver.prismaCommitCheck,
    });
    // Typed errors on db.prisma outside a transaction too (inside, tx.prisma inherits the extension).
    prisma = withTypedErrors(new resolved.PrismaClient({ adapter }));
  }

  let closed = false;
  let closing: Promise<void> | undefined;
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const track = async <T>(op: () => Promise<T>): Promise<T> => {
    if (closed)
      throw new ConnectionUnavailableError(
        'Database is closed: create a new one with createDatabase()',
      );
    inFlight++;
    try {
      return await op();
    } finally {
      inFlight--;
      if (inFlight === 0) drained?.();
    }
  };

  const guardedRaw = (
    raw: RawQueryable,
    slot: TransactionSlot,
    timeoutMs: number,
  ): RawQueryable => ({
    query<Row extends object>(text: string, params: readonly unknown[], name?: string) {
      // Closed while fn still runs: only Prisma's timeout does that.
      const closedError = (): Error =>
        slot.fnDone ? new TransactionClosedError() : new TransactionTimeoutError(timeoutMs);
      if (slot.closed) return Promise.reject(closedError());
      return raw.query<Row>(text, params, name).catch((error: unknown) => {
        throw slot.closed ? closedError() : error;
      });
    },
  });

  const runOnce = <T>(
    fn: (tx: Transaction<Client>) => Promise<T>,
    isolationLevel: IsolationLevel | undefined,
    timeoutMs: number,
  ): Promise<T> => {
    if (prisma === undefined) {
      return driver.transaction(
        (conn) => fn(new SqlTransaction<Client>(kind, conn, undefined)),
        isolationLevel,
        timeoutMs,
      );
    }
    if (driver.adoptsPrismaTransactions) {
      // A raw transaction; Prisma's interactive transaction joins it on the first use of
      // tx.prisma (most transactions of the event bus never touch it).
      const client = prisma;
      return driver.transaction(
        async (conn, handle) => {
          const lazy = new LazyPrismaTransaction(client, handle, timeoutMs);
          try {
            return await fn(new SqlTransaction<Client>(kind, conn, lazy));
          } finally {
            await lazy.finish();
          }
        },
        isolationLevel,
        timeoutMs,
      );
    }
    // Prisma owns BEGIN/COMMIT; raw SQL runs on the very connection Prisma's adapter opened.
    const slot: TransactionSlot = { handle: undefined, closed: false, fnDone: false };
    // Prisma's timeout rolls the transaction back but still waits for fn before settling:
    // settle the caller as soon as the transaction closes under a function still running.
    let abandon: (error: Error) => void = () => {};
    const abandoned = new Promise<never>((_, reject) => {
      abandon = reject;
    });
    abandoned.catch(() => {});
    slot.onClose = () => {
      if (!slot.fnDone) abandon(new TransactionTimeoutError(timeoutMs));
    };
    const client = prisma as unknown as PrismaInternals;
    const running = transactionSlots
      .run(slot, () =>
        client.$transaction(
          async (ptx) => {
            if (slot.handle === undefined) {
              throw new Error(
                '@vsa/common-db: the Prisma adapter did not expose its transaction connection',
              );
            }
            const raw = guardedRaw(driver.rawFromAdapterTransaction(slot.handle), slot, timeoutMs);
            try {
              return await fn(
                new SqlTransaction<Client>(kind, raw, ptx as TransactionClient<Client>),
              );
            } finally {
              slot.fnDone = true;
            }
          },
          {
            ...(isolationLevel ? { isolationLevel } : {}),
            timeout: timeoutMs,
            maxWait: Math.min(timeoutMs, 10_000),
          },
        ),
      )
      .then(
        (result) => {
          // The server rolled back what Prisma committed: never report it as committed.
          if (slot.commitFailure !== undefined) throw slot.commitFailure;
          return result;
        },
        (error: unknown) => {
          // However Prisma reports a failed COMMIT, the caller gets the typed error.
          if (slot.commitFailure !== undefined) throw slot.commitFailure;
          throw error;
        },
      )
      .catch((error: unknown) => {
        const e = error as { code?: unknown; message?: unknown };
        if (e.code === 'P2028' && /timeout|expired|closed/i.test(String(e.message))) {
          throw new TransactionTimeoutError(timeoutMs);
        }
        throw mapDatabaseError(error);
      });
    // Once abandoned, fn's late outcome must not surface as an unhandled rejection.
    running.catch(() => {});
    return Promise.race([running, abandoned]);
  };

  const db: Database<Client> = {
    kind,
    get prisma(): Omit<Client, '$on'> {
      if (prisma === undefined) throw new PrismaNotConfiguredError();
      return prisma;
    },
    sql<Row extends object = Record<string, unknown>>(
      strings: TemplateStringsArray,
      ...values: readonly unknown[]
    ): Promise<Row[]> {
      return track(async () => {
        const { text, params } = compileSql(strings, values);
        return (await driver.query<Row>(text, params)).rows;
      });
    },
    query<Row extends object = Record<string, unknown>>(
      text: string,
      params: readonly unknown[] = [],
      queryOptions?: QueryOptions,
    ): Promise<QueryResult<Row>> {
      const invalid = invalidQueryArguments(text, params, queryOptions);
      return invalid
        ? Promise.reject(invalid)
        : track(() => driver.query<Row>(text, params, queryOptions?.name));
    },
    transaction<T>(
      fn: (tx: Transaction<Client>) => Promise<T>,
      opts: RunTransactionOptions = {},
    ): Promise<T> {
      if (typeof fn !== 'function') {
        return Promise.reject(invalidArgument('transaction(fn): fn must be a function'));
      }
      let resolved: ResolvedTransactionOptions;
      try {
        resolved = resolveTransactionOptions(opts);
      } catch (error) {
        return Promise.reject(error);
      }
      const { isolationLevel, retry } = resolved;
      const timeoutMs = resolved.timeout ?? defaultTimeout;
      const once = (): Promise<T> => track(() => runOnce(fn, isolationLevel, timeoutMs));
      if (retry === undefined || retry === false) return once();
      return runWithRetry(once, retry === true ? DEFAULT_RETRY : retry);
    },
    listen(channel, handler, listenOptions = {}) {
      if (typeof handler !== 'function') {
        return Promise.reject(
          invalidArgument('listen(channel, handler): handler must be a function'),
        );
      }
      let resolvedListen: ListenOptions;
      try {
        resolvedListen = parseOptions(listenOptionsSchema, listenOptions ?? {}, {
          where: 'listen(channel, handler, options)',
          code: DB_INVALID_ARGUMENT,
        }) as ListenOptions;
      } catch (error) {
        return Promise.reject(error);
      }
      return track(() => driver.listen(channel, handler, resolvedListen));
    },
    async notify(channel, payload = '') {
      if (typeof channel !== 'string' || channel.length === 0) {
        throw invalidArgument('notify(channel, payload): channel must be a non-empty string');
      }
      if (Buffer.byteLength(payload) >= 8000) {
        throw invalidArgument(
          'NOTIFY payloads must be shorter than 8000 bytes: send an id and read the row',
        );
      }
      await track(() => driver.query('select pg_notify($1, $2)', [channel, payload]));
    },
    async health(healthOptions = {}): Promise<HealthReport> {
      const timeoutMs = healthOptions.timeoutMs ?? 2_000;
      if (closed) return { ok: false, kind, error: 'Database is closed' };
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          driver.query('select 1', []),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${timeoutMs} ms`)),
              timeoutMs,
            );
          }),
        ]);
        return { ok: true, kind, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
      } catch (error) {
        return { ok: false, kind, error: (error as Error).message };
      } finally {
        clearTimeout(timer);
      }
    },
    poolUsage: () => driver.poolUsage?.() ?? null,
    close() {
      if (closing) return closing;
      closed = true;
      closing = (async () => {
        if (inFlight > 0) {
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            drained = resolve;
            timer = setTimeout(() => {
              resolved.logger?.warn(
                { inFlight },
                'closing the database with statements still running',
              );
              resolve();
            }, closeTimeout);
          });
          clearTimeout(timer);
        }
        if (prisma !== undefined) {
          await (prisma as unknown as PrismaInternals).$disconnect().catch(() => {});
        }
        await driver.close();
      })();
      return closing;
    },
  };
  return attachDriver(db, driver);
}
