import { mapDatabaseError } from './errors.js';

/** What Prisma hands a top-level `query.$allOperations` extension. */
interface OperationCall {
  readonly args: unknown;
  query(args: unknown): Promise<unknown>;
}

/** The part of a generated PrismaClient this module uses. */
interface Extendable {
  $extends(extension: object): unknown;
}

/**
 * Prisma client extension: every model operation and raw query (`$queryRaw`, `$executeRaw`)
 * rethrows its error through {@link mapDatabaseError}, so `db.prisma` throws the same typed
 * errors as `db.sql` and `db.transaction` (Prisma's error is kept as `cause`). Results are untouched.
 */
const typedErrors = {
  name: '@vsa/common-db/typed-errors',
  query: {
    async $allOperations({ args, query }: OperationCall): Promise<unknown> {
      try {
        return await query(args);
      } catch (error) {
        throw mapDatabaseError(error);
      }
    },
  },
};

/**
 * `client` extended with {@link typedErrors}. A query-only extension adds no members, so the
 * extended client keeps the generated client's model and `$` methods except `$on`, which
 * Prisma's extended clients do not have; a client without `$extends` is returned as it is.
 */
export function withTypedErrors<Client>(client: Client): Omit<Client, '$on'> {
  const extendable = client as unknown as Partial<Extendable>;
  if (typeof extendable.$extends !== 'function') return client;
  return extendable.$extends(typedErrors) as Omit<Client, '$on'>;
}
