import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { type Driver, ISOLATION_SQL, type MigrationSession, type RawQueryable } from './driver.js';
import {
  ConnectionUnavailableError,
  mapDatabaseError,
  TransactionClosedError,
  TransactionTimeoutError,
} from './errors.js';
import { quoteChannel } from './listen-quote.js';
import { openPGlite } from './open-pglite.js';
import { pgliteTemplate } from './pglite-template.js';
import { wrapAdapterFactory } from './prisma-adapter.js';
import { quoteIdentifier } from './sql.js';
import type { IsolationLevel, ListenOptions, QueryResult, Unlisten } from './types.js';

type PGliteQuerier = Pick<PGlite, 'query'> | PGliteTransaction;

async function run<Row extends object>(
  q: PGliteQuerier,
  text: string,
  params: readonly unknown[],
): Promise<QueryResult<Row>> {
  try {
    const result = await q.query<Row>(text, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  } catch (error) {
    throw mapDatabaseError(error);
  }
}

/** A fresh in-memory PGlite as `migrate dev`'s shadow database; closed on dispose. */
async function connectShadow(quotedSchema: string): Promise<SqlDriverAdapter> {
  const shadow = await openPGlite({ kind: 'memory' }, { loadDataDir: await pgliteTemplate() });
  await shadow.exec(
    `create schema if not exists ${quotedSchema}; set search_path to ${quotedSchema}`,
  );
  const adapter = await new PrismaPGlite(shadow).connect();
  const wrapped = Object.create(adapter) as SqlDriverAdapter;
  wrapped.executeScript = async (script: string) => {
    await shadow.exec(script);
  };
  wrapped.dispose = async () => {
    await shadow.close();
  };
  return wrapped;
}

/** Each Prisma adapter transaction → the promise of PGlite's `transaction()` that runs it. */
type CommitOutcomes = WeakMap<PGliteTransaction, { outcome: Promise<unknown> }>;

/**
 * `pglite` as the Prisma adapter sees it: its `transaction()` records, per transaction, the
 * promise that settles after COMMIT (rejecting when the COMMIT failed or was answered with
 * ROLLBACK), which the adapter itself discards. Every other member is the instance's own.
 */
function recordingTransactions(pglite: PGlite, outcomes: CommitOutcomes): PGlite {
  const transaction = <T>(callback: (tx: PGliteTransaction) => Promise<T>): Promise<T> => {
    const record: { outcome: Promise<unknown> } = { outcome: Promise.resolve() };
    const outcome = pglite.transaction((tx) => {
      outcomes.set(tx, record);
      return callback(tx);
    });
    record.outcome = outcome;
    return outcome;
  };
  // One bound function per method, not one per property read (the adapter reads them per query).
  const bound = new WeakMap<object, unknown>();
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'transaction') return transaction;
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      // PGlite's methods use private state: call them on the instance, not on the proxy.
      let method = bound.get(value);
      if (method === undefined) {
        method = value.bind(target);
        bound.set(value, method);
      }
      return method;
    },
  });
}

/** Creates the PGlite driver around an open instance; `close()` closes it. */
export function createPGliteDriver(pglite: PGlite): Driver {
  // One connection: migrators in this process queue here (no other process can open the folder).
  let migrationQueue: Promise<void> = Promise.resolve();
  let adapter: SqlMigrationAwareDriverAdapterFactory | undefined;
  const commitOutcomes: CommitOutcomes = new WeakMap();
  const guard = (): void => {
    if (pglite.closed) throw new ConnectionUnavailableError('PGlite is closed');
  };

  async function transaction<T>(
    fn: (conn: RawQueryable, handle: unknown) => Promise<T>,
    isolationLevel: IsolationLevel | undefined,
    timeoutMs: number | undefined,
  ): Promise<T> {
    guard();
    let state: 'open' | 'done' | 'timedOut' = 'open';
    let timer: NodeJS.Timeout | undefined;
    // Rejects when the timeout fires, both for the caller and inside PGlite's transaction callback.
    const timedOut = new Promise<never>((_, reject) => {
      if (!timeoutMs) return;
      timer = setTimeout(() => {
        if (state !== 'open') return;
        state = 'timedOut';
        reject(new TransactionTimeoutError(timeoutMs));
      }, timeoutMs);
    });
    timedOut.catch(() => {});
    // PGlite's transaction() holds its mutex until the callback settles: no other statement
    // interleaves, and none runs until it does. So the callback must not wait for an fn that
    // outlives the timeout: it throws instead, PGlite rolls back and releases the mutex.
    const running = pglite
      .transaction(async (t) => {
        if (state === 'timedOut') throw new TransactionTimeoutError(timeoutMs ?? 0);
        const conn: RawQueryable = {
          query<Row extends object>(text: string, params: readonly unknown[]) {
            if (state === 'timedOut')
              return Promise.reject(new TransactionTimeoutError(timeoutMs ?? 0));
            if (state === 'done') return Promise.reject(new TransactionClosedError());
            return run<Row>(t, text, params);
          },
        };
        try {
          if (isolationLevel)
            await t.exec(`SET TRANSACTION ISOLATION LEVEL ${ISOLATION_SQL[isolationLevel]}`);
          const pending = Promise.resolve(fn(conn, t));
          // Once the timeout won, fn's own outcome is of no interest (nor an unhandled rejection).
          pending.catch(() => {});
          const result = await Promise.race([pending, timedOut]);
          if ((state as string) === 'timedOut') throw new TransactionTimeoutError(timeoutMs ?? 0);
          return result;
        } finally {
          if (state === 'open') state = 'done';
        }
      })
      .catch((error: unknown) => {
        throw mapDatabaseError(error);
      });
    if (!timeoutMs) return running;
    running.catch(() => {});
    try {
      // The timeout also ends a wait for the mutex: the callback then throws as soon as it runs.
      return await Promise.race([running, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    kind: 'pglite',
    query<Row extends object>(text: string, params: readonly unknown[]) {
      guard();
      return run<Row>(pglite, text, params);
    },
    transaction,
    prismaAdapter() {
      adapter ??= new PrismaPGlite(
        recordingTransactions(pglite, commitOutcomes),
      ) as unknown as SqlMigrationAwareDriverAdapterFactory;
      return adapter;
    },
    // The adapter's queries go through its `client`: on an adopted transaction that is the
    // open PGlite Transaction (see adoptedTransaction), so Prisma joins a raw db.transaction
    // on first use of tx.prisma, as on PostgreSQL. Its own startTransaction would wait for
    // PGlite's mutex, which the open transaction holds.
    adoptsPrismaTransactions: true,
    prismaCommitCheck: {
      afterCommit(handle: unknown): Promise<void> {
        return (
          commitOutcomes.get(handle as PGliteTransaction)?.outcome.then(() => undefined) ??
          Promise.resolve()
        );
      },
    },
    rawFromAdapterTransaction(handle: unknown): RawQueryable {
      const t = handle as PGliteTransaction;
      return {
        query: <Row extends object>(text: string, params: readonly unknown[]) =>
          run<Row>(t, text, params),
      };
    },
    async migrationSession(
      schema: string,
      sessionOptions: { shadow?: boolean } = {},
    ): Promise<MigrationSession> {
      guard();
      const quoted = quoteIdentifier(schema);
      let unlock: () => void = () => {};
      const previous = migrationQueue;
      migrationQueue = new Promise<void>((resolve) => {
        unlock = resolve;
      });
      await previous;
      try {
        await pglite.exec(`create schema if not exists ${quoted}`);
        const { rows } = await pglite.query<{ search_path: string }>('show search_path');
        const saved = rows[0]?.search_path ?? '"$user", public';
        // PGlite has a single session: point it at the schema while the engine runs.
        await pglite.exec(`set search_path to ${quoted}`);
        const factory = wrapAdapterFactory(
          new PrismaPGlite(pglite) as unknown as SqlMigrationAwareDriverAdapterFactory,
          {
            schema,
            isolationInsideTransaction: true,
            executeScript: async (script) => {
              await pglite.exec(script);
            },
            ...(sessionOptions.shadow ? { connectToShadowDb: () => connectShadow(quoted) } : {}),
          },
        );
        return {
          adapter: factory,
          async release() {
            try {
              if (!pglite.closed)
                await pglite.query('select set_config($1, $2, false)', ['search_path', saved]);
            } finally {
              unlock();
            }
          },
        };
      } catch (error) {
        unlock();
        throw mapDatabaseError(error);
      }
    },
    async listen(
      channel: string,
      handler: (payload: string) => void,
      _options: ListenOptions,
    ): Promise<Unlisten> {
      guard();
      // In-process: there is no connection to lose, so onReconnect never fires.
      const quoted = quoteChannel(channel);
      // Own wrapper per registration, so unlisten removes exactly this one.
      const callback = (payload: string): void => handler(payload);
      await pglite.listen(quoted, callback);
      let active = true;
      return async () => {
        if (!active || pglite.closed) return;
        active = false;
        // Not the function listen() returned: it re-normalises the name and loses its case.
        await pglite.unlisten(quoted, callback);
      };
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
