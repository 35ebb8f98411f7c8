import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  IsolationLevel as AdapterIsolationLevel,
  Transaction as AdapterTransaction,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlResultSet,
} from '@prisma/driver-adapter-utils';
import { mapDatabaseError, TransactionAbortedError } from './errors.js';

/** Filled by the adapter when Prisma opens the interactive transaction of `db.transaction`. */
export interface TransactionSlot {
  /** The driver connection the Prisma transaction runs on (pg PoolClient / PGlite Transaction). */
  handle: unknown;
  /** Set when Prisma commits, rolls back or expires the transaction. */
  closed: boolean;
  /** Set when the transaction function returned or threw. */
  fnDone: boolean;
  /** Called once when the slot closes (COMMIT, ROLLBACK or Prisma's timeout). */
  onClose?: () => void;
  /**
   * Set when Prisma asked to commit and the server rolled back instead: a typed error, e.g.
   * {@link TransactionAbortedError} (a statement had failed) or a deferred constraint's violation.
   */
  commitFailure?: unknown;
  /**
   * A connection already inside a transaction (the pg `PoolClient` or PGlite `Transaction` of
   * a raw `db.transaction`): the adapter runs Prisma's interactive transaction on it without
   * BEGIN, and leaves COMMIT or ROLLBACK to its owner (see {@link adoptedTransaction}).
   */
  adopt?: unknown;
}

/** Marks the slot closed and tells its owner, once. */
function closeSlot(slot: TransactionSlot): void {
  if (slot.closed) return;
  slot.closed = true;
  slot.onClose?.();
}

/**
 * How the wrapper learns that the server rolled back a transaction Prisma asked to commit,
 * which neither stock adapter reports: a failed statement aborts a PostgreSQL transaction (its
 * COMMIT is answered with ROLLBACK), and a deferred constraint can fail the COMMIT itself.
 * `handle` is the driver connection of the transaction.
 */
export type CommitCheck =
  /**
   * adapter-pg: Prisma sends COMMIT through `executeRaw`, which returns only a row count. Sends
   * COMMIT on `handle` instead: false when the server answered ROLLBACK; throws the driver's error.
   */
  | { readonly sendCommit: (handle: unknown) => Promise<boolean> }
  /**
   * pglite-prisma-adapter: `commit()` ends PGlite's `transaction()` callback and drops its
   * outcome. Awaited after it: rejects with PGlite's error when the COMMIT failed or rolled back.
   */
  | { readonly afterCommit: (handle: unknown) => Promise<void> };

/** Carries the slot from `db.transaction` into the adapter's `startTransaction`. */
export const transactionSlots: AsyncLocalStorage<TransactionSlot> = new AsyncLocalStorage();

/** How the wrapper changes the stock adapters. */
export interface AdapterWrapOptions {
  /** Postgres schema the schema engine should treat as its namespace (`_prisma_migrations`). */
  readonly schema?: string;
  /**
   * Runs a migration script as ONE simple-protocol query: atomic, and `;` inside function
   * bodies survives (adapter-pg splits on `;`; the PGlite adapter does not await `exec`).
   */
  readonly executeScript?: (script: string) => Promise<void>;
  /** PGlite: the stock adapter sets the isolation level before BEGIN, where it has no effect. */
  readonly isolationInsideTransaction?: boolean;
  /** Adjusts each `queryRaw` result (column types the stock adapter cannot map). */
  readonly fixResult?: (result: SqlResultSet) => void;
  /** Replaces the stock shadow database (adapter-pg's ignores the database name). */
  readonly connectToShadowDb?: () => Promise<SqlDriverAdapter>;
  /**
   * Makes a COMMIT the server did not honour throw its typed error ({@link TransactionAbortedError}
   * when answered with ROLLBACK) instead of passing as committed.
   */
  readonly commitCheck?: CommitCheck;
}

type WithOnError = SqlDriverAdapter & { onError?(error: unknown): never };

/**
 * The statements Prisma 7's transaction manager sends to end a transaction: exactly `COMMIT`
 * and `ROLLBACK` (adapter-pg; the PGlite adapter calls `commit()`/`rollback()` instead). Anchored
 * at both ends so `ROLLBACK TO SAVEPOINT s` (sent by fn, or by adapter-pg for a nested
 * `$transaction`) or `COMMIT PREPARED …` is not mistaken for the end of the transaction.
 */
const COMMIT = /^\s*COMMIT\s*;?\s*$/i;
const ROLLBACK = /^\s*ROLLBACK\s*;?\s*$/i;

/**
 * Prisma's side of a transaction its owner already opened on `slot.adopt` (a pg `PoolClient`
 * or a PGlite `Transaction` in a raw `db.transaction`): the adapter's queries (`queryRaw` /
 * `executeRaw` of adapter-pg and pglite-prisma-adapter send on `this.client`) on that connection, no BEGIN, and, as a phantom transaction, no COMMIT or
 * ROLLBACK: Prisma's commit and rollback only close the slot, the owner ends the transaction.
 * Savepoints (Prisma's nested `$transaction`) are sent as statements.
 */
function adoptedTransaction(adapter: SqlDriverAdapter, slot: TransactionSlot): AdapterTransaction {
  const tx = Object.create(adapter) as AdapterTransaction & { client: unknown };
  const statement = (sql: string) => tx.executeRaw({ sql, args: [], argTypes: [] });
  Object.assign(tx, {
    client: slot.adopt,
    options: { usePhantomQuery: true },
    async commit() {
      closeSlot(slot);
    },
    async rollback() {
      closeSlot(slot);
    },
    async createSavepoint(name: string) {
      await statement(`SAVEPOINT ${name}`);
    },
    async rollbackToSavepoint(name: string) {
      await statement(`ROLLBACK TO SAVEPOINT ${name}`);
    },
    async releaseSavepoint(name: string) {
      await statement(`RELEASE SAVEPOINT ${name}`);
    },
  });
  return tx;
}

/**
 * Wraps a stock Prisma adapter factory (adapter-pg or pglite-prisma-adapter). Methods not
 * overridden are inherited through the prototype chain, so the adapters' type mapping stays theirs.
 */
export function wrapAdapterFactory(
  inner: SqlMigrationAwareDriverAdapterFactory,
  options: AdapterWrapOptions,
): SqlMigrationAwareDriverAdapterFactory {
  const wrapAdapter = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const wrapped = Object.create(adapter) as WithOnError;
    if (options.executeScript) {
      const run = options.executeScript;
      wrapped.executeScript = async (script: string) => {
        try {
          await run(script);
        } catch (error) {
          // Let the adapter turn it into a DriverAdapterError the engine reports well.
          (adapter as WithOnError).onError?.call(wrapped, error);
          throw error;
        }
      };
    }
    if (options.fixResult) {
      const fix = options.fixResult;
      wrapped.queryRaw = async (query) => {
        const result = await adapter.queryRaw.call(wrapped, query);
        fix(result);
        return result;
      };
    }
    if (options.schema !== undefined) {
      const schemaName = options.schema;
      wrapped.getConnectionInfo = () => ({
        supportsRelationJoins: true,
        ...adapter.getConnectionInfo?.call(wrapped),
        schemaName,
      });
    }
    wrapped.startTransaction = async (isolationLevel?: AdapterIsolationLevel) => {
      const adopting = transactionSlots.getStore();
      if (adopting?.adopt !== undefined && adopting.handle === undefined) {
        adopting.handle = adopting.adopt;
        return adoptedTransaction(wrapped, adopting);
      }
      const inside = options.isolationInsideTransaction === true;
      const tx = await adapter.startTransaction.call(wrapped, inside ? undefined : isolationLevel);
      if (inside && isolationLevel) {
        await tx.executeRaw({
          sql: `SET TRANSACTION ISOLATION LEVEL ${isolationLevel}`,
          args: [],
          argTypes: [],
        });
      }
      const handle = (tx as AdapterTransaction & { client: unknown }).client;
      const check = options.commitCheck;
      const store = transactionSlots.getStore();
      // The slot is the db.transaction's; a transaction fn opens itself (db.prisma.$transaction) is not.
      const slot = store && store.handle === undefined ? store : undefined;
      if (!slot && !check) return tx;
      if (slot) slot.handle = handle;
      const close = (): void => {
        if (slot) closeSlot(slot);
      };
      /** Records and throws, typed, that the server did not commit. */
      const notCommitted = (error: unknown): never => {
        const mapped = mapDatabaseError(error);
        if (slot) slot.commitFailure = mapped;
        throw mapped;
      };
      const wtx = Object.create(tx) as AdapterTransaction;
      // Prisma queues COMMIT/ROLLBACK (also on timeout) before calling commit()/rollback():
      // close the slot at once so raw SQL issued later cannot run after it, outside the transaction.
      wtx.executeRaw = async (query) => {
        const commit = COMMIT.test(query.sql);
        if (commit || ROLLBACK.test(query.sql)) close();
        if (!commit || !check || !('sendCommit' in check)) return tx.executeRaw.call(wtx, query);
        // Prisma answers a failed COMMIT with rollback(), which releases the connection.
        const committed = await check.sendCommit(handle).catch(notCommitted);
        if (!committed) notCommitted(new TransactionAbortedError());
        return 0;
      };
      wtx.commit = async () => {
        close();
        await tx.commit();
        if (check && 'afterCommit' in check) await check.afterCommit(handle).catch(notCommitted);
      };
      wtx.rollback = async () => {
        close();
        return tx.rollback();
      };
      return wtx;
    };
    return wrapped;
  };
  const factory = Object.create(inner) as SqlMigrationAwareDriverAdapterFactory;
  factory.connect = async () => wrapAdapter(await inner.connect());
  factory.connectToShadowDb = async () =>
    options.connectToShadowDb
      ? options.connectToShadowDb()
      : wrapAdapter(await inner.connectToShadowDb());
  return factory;
}
