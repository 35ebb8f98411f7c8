import { AsyncLocalStorage } from 'node:async_hooks';
import type {
  IsolationLevel as AdapterIsolationLevel,
  Transaction as AdapterTransaction,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlResultSet,
} from '@prisma/driver-adapter-utils';

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
}

/** Marks the slot closed and tells its owner, once. */
function closeSlot(slot: TransactionSlot): void {
  if (slot.closed) return;
  slot.closed = true;
  slot.onClose?.();
}

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
}

type WithOnError = SqlDriverAdapter & { onError?(error: unknown): never };

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
      const inside = options.isolationInsideTransaction === true;
      const tx = await adapter.startTransaction.call(wrapped, inside ? undefined : isolationLevel);
      if (inside && isolationLevel) {
        await tx.executeRaw({
          sql: `SET TRANSACTION ISOLATION LEVEL ${isolationLevel}`,
          args: [],
          argTypes: [],
        });
      }
      const slot = transactionSlots.getStore();
      if (!slot || slot.handle !== undefined) return tx;
      slot.handle = (tx as AdapterTransaction & { client: unknown }).client;
      const wtx = Object.create(tx) as AdapterTransaction;
      // Prisma queues COMMIT/ROLLBACK (also on timeout) before calling commit()/rollback():
      // close the slot at once so raw SQL issued later cannot run after it, outside the transaction.
      wtx.executeRaw = (query) => {
        if (/^\s*(COMMIT|ROLLBACK)\b/i.test(query.sql)) closeSlot(slot);
        return tx.executeRaw.call(wtx, query);
      };
      wtx.commit = async () => {
        closeSlot(slot);
        return tx.commit();
      };
      wtx.rollback = async () => {
        closeSlot(slot);
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
