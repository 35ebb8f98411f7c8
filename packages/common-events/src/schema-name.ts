import { InvalidArgumentError } from './errors.js';

/** The Postgres schema the bus uses unless told otherwise. */
export const DEFAULT_SCHEMA = 'vsa_events';

// Lower-case only: the name is also used unquoted in NOTIFY channel names and advisory-lock
// keys, and a mixed-case schema is a trap for anyone typing psql queries by hand.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/;

/**
 * Returns `schema` when it is a safe schema name (lower-case letters, digits, `_`, not
 * starting with a digit, at most 48 characters), else throws `VSA_EVENTS_INVALID_ARGUMENT`.
 */
export function validateSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema) || schema.startsWith('pg_')) {
    throw new InvalidArgumentError(
      `Invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _ (not first, not pg_*), at most 48 characters.`,
    );
  }
  return schema;
}
