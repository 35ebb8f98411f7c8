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

interface NodePostgresLike {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** A node-postgres `Client`, `PoolClient` or `Pool`: they take named (prepared) statements. */
function isNodePostgres(value: unknown): value is NodePostgresLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.query === 'function' &&
    ('connectionParameters' in v || ('totalCount' in v && 'options' in v))
  );
}

interface CommonDbLike {
  query(
    text: string,
    params: unknown[],
    options: { readonly name: string },
  ): Promise<{ rows: unknown[] }>;
}

/**
 * A @vsa/common-db `Database` or `Transaction`: its `query` takes `{ name }` as third argument
 * (older versions ignore it). Recognised by the `kind` and `sql` members of that interface.
 */
function isCommonDb(value: unknown): value is CommonDbLike {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.query === 'function' &&
    typeof v.sql === 'function' &&
    (v.kind === 'postgres' || v.kind === 'pglite')
  );
}

/**
 * Runs a statement the bus sends over and over under one statement `name` (the same on every
 * path). On node-postgres, and on a @vsa/common-db executor over PostgreSQL, it becomes a
 * named prepared statement (parsed and planned once per connection); other executors get
 * `query(text, params)`.
 */
export async function queryHot<Row extends object>(
  executor: unknown,
  name: string,
  text: string,
  params: unknown[],
): Promise<{ readonly rows: Row[] }> {
  if (isNodePostgres(executor)) {
    return (await executor.query({ name, text, values: params })) as { rows: Row[] };
  }
  if (isCommonDb(executor)) {
    return (await executor.query(text, params, { name })) as { rows: Row[] };
  }
  return toQueryable(executor).query<Row>(text, params);
}

/** int8/numeric values come back as string (pg), bigint (Prisma) or number (PGlite). */
export function toNumber(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}
