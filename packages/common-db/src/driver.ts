import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { CommitCheck } from './prisma-adapter.js';
import type {
  DatabaseKind,
  IsolationLevel,
  ListenOptions,
  PoolUsage,
  QueryResult,
  Unlisten,
} from './types.js';

/** One connection (or transaction) that runs raw parametrized SQL. Internal. */
export interface RawQueryable {
  /** `name`: a validated statement name; drivers that cannot prepare ignore it. */
  query<Row extends object>(
    text: string,
    params: readonly unknown[],
    name?: string,
  ): Promise<QueryResult<Row>>;
}

/** What the engine-specific drivers (pg, PGlite) provide to `createDatabase`. Internal. */
export interface Driver extends RawQueryable {
  readonly kind: DatabaseKind;
  /**
   * BEGIN … COMMIT/ROLLBACK on one connection around `fn`. `handle` is that connection as the
   * driver holds it (pg `PoolClient`, PGlite `Transaction`), for adopting it in a Prisma
   * transaction ({@link Driver.adoptsPrismaTransactions}).
   */
  transaction<T>(
    fn: (conn: RawQueryable, handle: unknown) => Promise<T>,
    isolationLevel: IsolationLevel | undefined,
    timeoutMs: number | undefined,
  ): Promise<T>;
  /** The Prisma driver adapter factory over the same pool / PGlite instance. */
  prismaAdapter(): SqlMigrationAwareDriverAdapterFactory;
  /** How a Prisma transaction's COMMIT that failed or was answered with ROLLBACK is detected. */
  readonly prismaCommitCheck: CommitCheck;
  /**
   * Whether the Prisma adapter can run an interactive transaction on a connection this driver's
   * `transaction()` already opened (the `handle` it passes to `fn`): then `db.transaction`
   * starts as a raw transaction and opens Prisma's interactive transaction only when `fn`
   * touches `tx.prisma`.
   */
  readonly adoptsPrismaTransactions: boolean;
  /** Turns the raw handle of a Prisma adapter transaction into a RawQueryable. */
  rawFromAdapterTransaction(handle: unknown): RawQueryable;
  /**
   * A Prisma adapter for the schema engine whose session has `search_path` = `schema`, plus
   * a session-level advisory lock so that two processes never migrate one schema at once.
   */
  migrationSession(schema: string, options?: { shadow?: boolean }): Promise<MigrationSession>;
  listen(
    channel: string,
    handler: (payload: string) => void,
    options: ListenOptions,
  ): Promise<Unlisten>;
  close(): Promise<void>;
  /** Connections of the pool now; absent on PGlite (one connection, no pool). */
  poolUsage?(): PoolUsage;
}

/** SQL for the isolation level in a SET TRANSACTION / BEGIN. */
export const ISOLATION_SQL: Record<IsolationLevel, string> = {
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

/** One migrator's exclusive session. Internal. */
export interface MigrationSession {
  readonly adapter: SqlMigrationAwareDriverAdapterFactory;
  /** Releases the lock and the connection. */
  release(): Promise<void>;
}
