import type { BackoffPolicy } from './backoff.js';
/** Rows and count returned by one statement. */
export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
}

/** Options of {@link SqlExecutor.query}. */
export interface QueryOptions {
  /**
   * Statement name (1-63 chars of `[A-Za-z0-9_]`). On PostgreSQL the statement is prepared
   * once per connection under this name and reused: use it for statements sent over and over,
   * and give one name to exactly one `text`. PGlite ignores it.
   */
  readonly name?: string;
}

/**
 * Anything that runs parametrized SQL: the database itself (auto-commit) or one transaction.
 * Libraries (the event bus) depend on this interface only, so they work on `pg` and PGlite alike.
 */
export interface SqlExecutor {
  /**
   * Tagged-template query. Every interpolated value becomes a `$n` parameter, never SQL text.
   *
   * @example
   * const rows = await db.sql<{ id: number }>`select id from orders where status = ${status}`;
   */
  sql<Row extends object = Record<string, unknown>>(
    strings: TemplateStringsArray,
    ...values: readonly unknown[]
  ): Promise<Row[]>;
  /**
   * A statement with positional `$1..$n` parameters, for libraries that build multi-row
   * statements. `text` must never contain values. `options.name` makes it a named prepared
   * statement on PostgreSQL (parsed and planned once per connection).
   *
   * @example
   * await tx.query('insert into audit (what) values ($1)', [what], { name: 'audit_insert' });
   */
  query<Row extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    options?: QueryOptions,
  ): Promise<QueryResult<Row>>;
}

/** PostgreSQL transaction isolation levels. */
export type IsolationLevel = 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

/** Options of {@link Database.transaction}. */
export interface TransactionOptions {
  readonly isolationLevel?: IsolationLevel;
  /** Abort and roll back when `fn` runs longer than this (ms). */
  readonly timeout?: number;
}

/** Which engine serves the database. */
export type DatabaseKind = 'postgres' | 'pglite';

/** Minimal pino-compatible logger a {@link Database} reports to (reconnects, slow shutdown). */
export interface DatabaseLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * The Prisma transaction client Prisma hands to `$transaction(fn)`: the client without the
 * methods Prisma forbids inside an interactive transaction.
 */
export type TransactionClient<Client> = Omit<
  Client,
  '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'
>;

/**
 * One open transaction: raw SQL and (when the database has a Prisma client) Prisma model
 * calls through {@link Transaction.prisma}, all on the same connection and the same transaction.
 */
export interface Transaction<Client = never> extends SqlExecutor {
  /** Which engine serves the transaction. */
  readonly kind: DatabaseKind;
  /**
   * The Prisma transaction client bound to this transaction. Throws
   * `VSA_DB_PRISMA_NOT_CONFIGURED` when the database was created without `PrismaClient`.
   */
  readonly prisma: TransactionClient<Client>;
}

/** Backoff for {@link RetryOptions} (defaults: `TRANSACTION_RETRY_BACKOFF`, 10 ms doubling to 1 s, full jitter). */
export type BackoffOptions = BackoffPolicy;

/** Options of `withRetry` and of `transaction(fn, { retry })`. */
export interface RetryOptions {
  /** Extra attempts after the first (default 5). */
  readonly retries?: number;
  /** Exponential backoff with full jitter between attempts. */
  readonly backoff?: BackoffOptions;
  /** Which errors to retry (default: serialization failures and deadlocks, 40001 / 40P01). */
  readonly shouldRetry?: (error: unknown) => boolean;
  /** Called before each new attempt. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/** Options of `Database.transaction`: isolation, timeout and optional retry of the whole function. */
export interface RunTransactionOptions extends TransactionOptions {
  /** Re-run the whole function on serialization failures / deadlocks. `true` uses defaults. */
  readonly retry?: boolean | RetryOptions;
}

/** Options of `Database.listen`. */
export interface ListenOptions {
  /**
   * Called after the listening connection dropped and came back and every channel is
   * listened to again. Notifications sent while disconnected are lost: re-poll here.
   */
  readonly onReconnect?: () => void;
  /** Called when the listening connection fails (before each reconnect attempt). */
  readonly onError?: (error: Error) => void;
  /**
   * Called with the server process id (`pg_backend_pid()`) of the listening connection once
   * this registration listens, again after each reconnect, and with `null` when the
   * connection is lost. The session lives as long as this process listens: a SIGKILLed
   * process's session ends at once, so others can tell it is gone (`pg_stat_activity`).
   * Never called on PGlite (one process, no server sessions).
   */
  readonly onSession?: (backendPid: number | null) => void;
}

/** Stops one `listen` registration. Idempotent. */
export type Unlisten = () => Promise<void>;

/** Result of `Database.health`. */
export interface HealthReport {
  readonly ok: boolean;
  readonly kind: DatabaseKind;
  /** Round trip of `select 1` in ms, when it answered. */
  readonly latencyMs?: number;
  /** Why the check failed. */
  readonly error?: string;
}

/** Connections of a database pool at one moment (for a pool-usage metric). */
export interface PoolUsage {
  /** Most connections the pool opens. */
  readonly max: number;
  /** Connections open now (idle + in use). */
  readonly total: number;
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
}

/**
 * A database: one driver (pg pool or PGlite), optionally one Prisma client on top of it,
 * raw SQL, transactions, LISTEN/NOTIFY, health and shutdown.
 */
export interface Database<Client = never> extends SqlExecutor {
  readonly kind: DatabaseKind;
  /**
   * The Prisma client given as `PrismaClient`; throws `VSA_DB_PRISMA_NOT_CONFIGURED` otherwise.
   * Its operations (and those of `tx.prisma`) throw this package's typed errors, with Prisma's
   * error as `cause`. It is a Prisma extended client: extend it further with `$extends`; it has
   * no `$on` (hence its type, the client without `$on`; pass `log` to the PrismaClient for
   * events instead) and is not `instanceof PrismaClient`.
   */
  readonly prisma: Omit<Client, '$on'>;
  /**
   * Runs `fn` in one transaction: commits when it resolves, rolls back when it throws.
   * With `retry`, serialization failures and deadlocks re-run the whole function.
   */
  transaction<T>(
    fn: (tx: Transaction<Client>) => Promise<T>,
    options?: RunTransactionOptions,
  ): Promise<T>;
  /** Listens on a channel over one dedicated connection that reconnects by itself. */
  listen(
    channel: string,
    handler: (payload: string) => void,
    options?: ListenOptions,
  ): Promise<Unlisten>;
  /** `pg_notify(channel, payload)` in its own statement (inside a transaction use `tx.sql`). */
  notify(channel: string, payload?: string): Promise<void>;
  /** `select 1` bounded by `timeoutMs` (default 2000). Never throws. */
  health(options?: { readonly timeoutMs?: number }): Promise<HealthReport>;
  /**
   * Connections of the pool now (cheap: counters read in memory), for a metric; `null` on
   * PGlite, which has one connection and no pool.
   */
  poolUsage(): PoolUsage | null;
  /** Stops listeners, disconnects Prisma, drains the pool or closes PGlite. Idempotent. */
  close(): Promise<void>;
}
