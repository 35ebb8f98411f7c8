import { UnsupportedExecutorError } from './errors.js';

/**
 * The one capability the bus needs from a connection or transaction. A @vsa/common-db
 * `Database`/`Transaction` and a `pg` client or pool have it as is.
 */
export interface Queryable {
  query<Row extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
  ): Promise<{ readonly rows: Row[] }>;
}

/** The raw-SQL part of a Prisma client or interactive-transaction client. */
export interface PrismaRawClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Where events can be written or read: common-db executor, pg client, or Prisma client. */
export type EventExecutor = Queryable | PrismaRawClient;

/** Whether `value` is a Prisma client/transaction client (raw SQL via `$queryRawUnsafe`). */
export function isPrismaClient(value: unknown): value is PrismaRawClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { $queryRawUnsafe?: unknown }).$queryRawUnsafe === 'function'
  );
}

/**
 * Adapts any supported executor to {@link Queryable}. Prisma returns rows directly; its
 * parameters go through `$queryRawUnsafe` (never interpolated).
 */
export function toQueryable(executor: unknown): Queryable {
  if (typeof executor === 'object' && executor !== null) {
    if (typeof (executor as { query?: unknown }).query === 'function') return executor as Queryable;
    if (isPrismaClient(executor)) {
      return {
        async query<Row extends object>(text: string, params: readonly unknown[] = []) {
          const rows = await executor.$queryRawUnsafe<Row[]>(text, ...params);
          return { rows };
        },
      };
    }
  }
  throw new UnsupportedExecutorError();
}

/** int8/numeric values come back as string (pg), bigint (Prisma) or number (PGlite). */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
