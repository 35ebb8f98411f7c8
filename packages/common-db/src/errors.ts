import {
  ConflictError,
  InternalError,
  InvalidArgumentError,
  isVsaError,
  NotFoundError,
  UnavailableError,
  VsaError,
} from '@vsa/common-errors';

export { InvalidArgumentError, NotFoundError };

/** Code of every argument and option error of this package. */
export const DB_INVALID_ARGUMENT = 'VSA_DB_INVALID_ARGUMENT';

/** An {@link InvalidArgumentError} with this package's code. */
export function invalidArgument(
  message: string,
  options?: { cause?: unknown },
): InvalidArgumentError {
  return new InvalidArgumentError(DB_INVALID_ARGUMENT, message, options);
}

/**
 * Any error this package throws: a `VsaError` whose code starts with `VSA_DB_`. The concrete
 * classes extend the concept classes of `@vsa/common-errors` (so `instanceof NotFoundError`
 * holds whichever package raised it); `instanceof DatabaseError` checks the code.
 */
export abstract class DatabaseError extends VsaError {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isVsaError(value) && value.code.startsWith('VSA_DB_');
  }
}

/** Seconds after which retrying an unavailable database is worth it (the `Retry-After` header). */
const RETRY_AFTER_SECONDS = 1;

/** Details known about a constraint violation. */
export interface ConstraintDetails {
  readonly constraint?: string;
  readonly table?: string;
  readonly columns?: readonly string[];
}

/** Base of the constraint errors (HTTP 409): what is known of the constraint that rejected the write. */
export abstract class ConstraintViolationError extends ConflictError {
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly columns: readonly string[];

  constructor(
    code: string,
    message: string,
    details: ConstraintDetails,
    options?: { cause?: unknown },
  ) {
    super(code, message, { ...options, details: { ...details } });
    this.constraint = details.constraint;
    this.table = details.table;
    this.columns = details.columns ?? [];
  }
}

/** `Unique constraint users_email_key on (email)`, leaving out what is unknown. */
function constraintLabel(
  subject: string,
  constraint?: string,
  columns?: readonly string[],
): string {
  const on = columns?.length ? `on (${columns.join(', ')})` : '';
  return [subject, constraint, on].filter(Boolean).join(' ');
}

/** A unique constraint rejected the write (SQLSTATE 23505, Prisma P2002). */
export class UniqueViolationError extends ConstraintViolationError {
  constructor(details: ConstraintDetails = {}, options?: { cause?: unknown }) {
    const label = constraintLabel('Unique constraint', details.constraint, details.columns);
    super(
      'VSA_DB_UNIQUE_VIOLATION',
      `${label} violated: the row already exists; update it or write a different key`,
      details,
      options,
    );
  }
}

/** A foreign key rejected the write (SQLSTATE 23503, Prisma P2003). */
export class ForeignKeyViolationError extends ConstraintViolationError {
  constructor(details: ConstraintDetails = {}, options?: { cause?: unknown }) {
    const label = constraintLabel('Foreign key', details.constraint);
    super(
      'VSA_DB_FOREIGN_KEY_VIOLATION',
      `${label} violated: the referenced row does not exist or is still referenced; write or delete the rows in dependency order`,
      details,
      options,
    );
  }
}

/** The record an operation needed does not exist (Prisma P2025): `NotFoundError` with `VSA_DB_NOT_FOUND`. */
export function recordNotFound(
  message = 'Record not found',
  options?: { cause?: unknown },
): NotFoundError {
  return new NotFoundError('VSA_DB_NOT_FOUND', message, options);
}

/**
 * A concurrent transaction conflicted (SQLSTATE 40001 serialization failure or 40P01
 * deadlock, Prisma P2034). Safe to retry the whole transaction: see `withRetry`.
 */
export class SerializationFailureError extends UnavailableError {
  /** `40001` or `40P01`. */
  readonly sqlState: string;

  constructor(sqlState: string, options?: { cause?: unknown }) {
    super(
      'VSA_DB_SERIALIZATION_FAILURE',
      `Transaction conflicted with a concurrent one (SQLSTATE ${sqlState}); retry it (transaction(fn, { retry: true }))`,
      { ...options, details: { sqlState }, retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
    this.sqlState = sqlState;
  }
}

/** The database cannot be reached, refused the connection, or was closed. */
export class ConnectionUnavailableError extends UnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VSA_DB_CONNECTION_UNAVAILABLE', message, {
      ...options,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
  }
}

/**
 * A statement ran into `statement_timeout` or was cancelled (SQLSTATE 57014), or got no answer
 * within the client-side `pool.queryTimeoutMs`.
 */
export class QueryTimeoutError extends UnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VSA_DB_QUERY_TIMEOUT', message, { ...options, retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
}

/** A transaction ran longer than its `timeout` and was rolled back. */
export class TransactionTimeoutError extends UnavailableError {
  constructor(timeoutMs: number) {
    super(
      'VSA_DB_TRANSACTION_TIMEOUT',
      `Transaction exceeded its timeout of ${timeoutMs} ms and was rolled back; keep transactions short or raise { timeout }`,
      { details: { timeoutMs }, retryAfterSeconds: RETRY_AFTER_SECONDS },
    );
  }
}

/**
 * PostgreSQL aborted the transaction because a statement in it failed (SQLSTATE 25P02), so it
 * was rolled back, not committed: typically `fn` caught a statement's error and carried on.
 * Thrown by `transaction()` instead of returning as if committed, and by statements sent after
 * the failure.
 */
export class TransactionAbortedError extends InternalError {
  constructor(options?: { cause?: unknown }) {
    super(
      'VSA_DB_TRANSACTION_ABORTED',
      "Transaction was rolled back, not committed: a statement in it failed, which aborts the whole PostgreSQL transaction, so none of its writes were kept. Let the failed statement's error propagate out of the transaction function, or avoid the failure (upsert, ON CONFLICT DO NOTHING) or roll back to a savepoint taken before it",
      options,
    );
  }
}

/** A statement used a transaction handle after its transaction ended. */
export class TransactionClosedError extends InternalError {
  constructor() {
    super(
      'VSA_DB_TRANSACTION_CLOSED',
      'This transaction already committed, rolled back or timed out; run statements inside the transaction function and await them',
    );
  }
}

/** `db.prisma` / `tx.prisma` was used on a database created without `PrismaClient`. */
export class PrismaNotConfiguredError extends InternalError {
  constructor() {
    super(
      'VSA_DB_PRISMA_NOT_CONFIGURED',
      'No Prisma client: pass the generated PrismaClient class to createDatabase({ PrismaClient })',
    );
  }
}

/** A migration failed to apply; `migration` names it. */
export class MigrationFailedError extends InternalError {
  readonly migration: string | undefined;
  readonly schema: string;

  constructor(
    migration: string | undefined,
    schema: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'VSA_DB_MIGRATION_FAILED',
      migration
        ? `Migration ${migration} (schema ${schema}) failed: ${detail}. Fix the database or the migration, then mark it rolled back before retrying`
        : `Applying migrations to schema ${schema} failed: ${detail}; fix the cause and run the migrations again`,
      { ...options, details: { schema, ...(migration ? { migration } : {}) } },
    );
    this.migration = migration;
    this.schema = schema;
  }
}

interface PgLikeError {
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  detail?: unknown;
  message?: unknown;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

function columnsFromDetail(detail: unknown): string[] | undefined {
  // pg: 'Key (email)=(a@b.c) already exists.' / 'Key (a, b)=(1, 2) is not present in table "t".'
  if (typeof detail !== 'string') return undefined;
  const match = /^Key \(([^)]*)\)=/.exec(detail);
  return match?.[1]?.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
}

function details(e: PgLikeError, columns?: readonly string[]): ConstraintDetails {
  const cols = columns ?? columnsFromDetail(e.detail);
  return {
    ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
    ...(typeof e.table === 'string' ? { table: e.table } : {}),
    ...(cols ? { columns: cols } : {}),
  };
}

function fromSqlState(state: string, e: PgLikeError, cause: unknown): VsaError | undefined {
  switch (state) {
    case '23505':
      return new UniqueViolationError(details(e), { cause });
    case '23503':
      return new ForeignKeyViolationError(details(e), { cause });
    case '40001':
    case '40P01':
      return new SerializationFailureError(state, { cause });
    case '25P02':
      return new TransactionAbortedError({ cause });
    case '57014':
      return new QueryTimeoutError(String(e.message ?? 'Statement cancelled'), { cause });
    case '57P01':
    case '57P02':
    case '57P03':
    case '53300':
      return new ConnectionUnavailableError(`Database unavailable: ${String(e.message)}`, {
        cause,
      });
    default:
      if (state.startsWith('08')) {
        return new ConnectionUnavailableError(`Database connection failed: ${String(e.message)}`, {
          cause,
        });
      }
      return undefined;
  }
}

interface PrismaLikeError {
  code?: unknown;
  meta?: {
    target?: unknown;
    field_name?: unknown;
    modelName?: unknown;
    cause?: unknown;
    driverAdapterError?: { cause?: DriverCause };
  };
  message?: unknown;
}

interface DriverCause {
  kind?: string;
  originalCode?: string;
  originalMessage?: string;
  constraint?: { fields?: string[]; index?: string; foreignKey?: unknown };
}

function constraintFromMessage(driver: DriverCause | undefined): string | undefined {
  return driver?.originalMessage
    ? /constraint "([^"]+)"/.exec(driver.originalMessage)?.[1]
    : undefined;
}

function fromPrisma(e: PrismaLikeError, cause: unknown): VsaError | undefined {
  const driver = e.meta?.driverAdapterError?.cause;
  const table = typeof e.meta?.modelName === 'string' ? { table: e.meta.modelName } : {};
  switch (e.code) {
    case 'P2002': {
      const target = e.meta?.target;
      const columns =
        driver?.constraint?.fields ?? (Array.isArray(target) ? target.map(String) : undefined);
      const constraint =
        driver?.constraint?.index ??
        constraintFromMessage(driver) ??
        (typeof target === 'string' ? target : undefined);
      return new UniqueViolationError(
        { ...table, ...(columns ? { columns } : {}), ...(constraint ? { constraint } : {}) },
        { cause },
      );
    }
    case 'P2003': {
      const field = e.meta?.field_name;
      const columns = driver?.constraint?.fields;
      const constraint =
        driver?.constraint?.index ??
        constraintFromMessage(driver) ??
        (typeof field === 'string' ? field : undefined);
      return new ForeignKeyViolationError(
        { ...table, ...(columns ? { columns } : {}), ...(constraint ? { constraint } : {}) },
        { cause },
      );
    }
    case 'P2025':
      return recordNotFound(typeof e.meta?.cause === 'string' ? e.meta.cause : 'Record not found', {
        cause,
      });
    case 'P2034':
      return new SerializationFailureError(driver?.originalCode ?? '40001', { cause });
    case 'P1001':
    case 'P1002':
    case 'P1017':
    case 'P2024':
      return new ConnectionUnavailableError(`Database unavailable: ${String(e.message)}`, {
        cause,
      });
    default:
      if (driver?.originalCode) return fromSqlState(driver.originalCode, {}, cause);
      return undefined;
  }
}

/**
 * Maps a `pg`, PGlite or Prisma error to this package's typed errors; returns other errors
 * unchanged. Already-mapped errors pass through.
 */
export function mapDatabaseError(error: unknown): unknown {
  if (error instanceof DatabaseError || typeof error !== 'object' || error === null) return error;
  const e = error as PgLikeError & PrismaLikeError;
  if (typeof e.code === 'string') {
    if (/^P\d{4}$/.test(e.code)) return fromPrisma(e, error) ?? error;
    if (/^[0-9A-Z]{5}$/.test(e.code)) return fromSqlState(e.code, e, error) ?? error;
    if (CONNECTION_CODES.has(e.code)) {
      return new ConnectionUnavailableError(
        `Database unreachable (${e.code}): ${String(e.message)}`,
        {
          cause: error,
        },
      );
    }
  }
  // Driver adapter errors carry the SQLSTATE in cause.originalCode.
  const cause = (error as { cause?: DriverCause }).cause;
  if (cause && typeof cause === 'object' && typeof cause.originalCode === 'string') {
    return fromSqlState(cause.originalCode, {}, error) ?? error;
  }
  // pg's client-side query_timeout (pool.queryTimeoutMs): no answer in time, maybe a hung server.
  if (typeof e.message === 'string' && /Query read timeout/.test(e.message)) {
    return new QueryTimeoutError(
      'No answer from the database within the query timeout (pool.queryTimeoutMs / DB_QUERY_TIMEOUT_MS): the server may be hung or overloaded',
      { cause: error },
    );
  }
  if (
    typeof e.message === 'string' &&
    /Connection terminated|Client has encountered a connection error|connection is closed|PGlite is closed/i.test(
      e.message,
    )
  ) {
    return new ConnectionUnavailableError(`Database connection lost: ${e.message}`, {
      cause: error,
    });
  }
  return error;
}

/** True for errors worth re-running a whole transaction for: 40001 and 40P01. */
export function isRetryableTransactionError(error: unknown): boolean {
  const mapped = mapDatabaseError(error);
  return mapped instanceof SerializationFailureError;
}
