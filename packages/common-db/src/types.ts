/** Rows and count returned by one statement. */
export interface QueryResult<Row> {
  readonly rows: Row[];
  readonly rowCount: number;
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
   * statements. `text` must never contain values.
   */
  query<Row extends object = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
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
