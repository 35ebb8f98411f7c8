import { InvalidArgumentError } from './errors.js';

/** The Postgres schema the bus uses unless told otherwise. */
export const DEFAULT_SCHEMA = 'vsa_events';

/**
 * A safe schema name: lower-case letters, digits and `_`, not starting with a digit, not `pg_*`
 * (reserved by Postgres), at most 48 characters. Lower-case only: the name is also used
 * unquoted in NOTIFY channel names and advisory-lock keys, and a mixed-case schema is a trap
 * for anyone typing psql queries by hand. The one rule for {@link validateSchemaName} and the
 * `EVENTS_SCHEMA` setting. @internal
 */
export const SCHEMA_NAME: RegExp = /^(?!pg_)[a-z_][a-z0-9_]{0,47}$/;

/** {@link SCHEMA_NAME} in words, for error messages. @internal */
export const SCHEMA_NAME_RULE =
  'use lower-case letters, digits and _ (not first, not pg_*), at most 48 characters';

/**
 * Returns `schema` when it is a safe schema name (lower-case letters, digits, `_`, not
 * starting with a digit, not `pg_*`, at most 48 characters), else throws
 * `VSA_EVENTS_INVALID_ARGUMENT`.
 */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError(
      `Invalid schema name ${JSON.stringify(schema)}: ${SCHEMA_NAME_RULE}.`,
    );
  }
  return schema;
}
