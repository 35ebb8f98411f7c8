import { DEFAULT_SCHEMA, validateSchemaName } from '../schema-name.js';
import { eventsMigration } from './0001-events.js';
import { consumersMigration } from './0002-consumers.js';
import { consumerMembersMigration } from './0003-consumer-members.js';
import { memberSessionsMigration } from './0004-member-sessions.js';

/** One migration as @vsa/common-db's `applyMigrations` takes it. */
export interface EventMigration {
  readonly name: string;
  readonly sql: string;
}

/**
 * The bus's migrations for `schema`, in order. Never edit an applied one: add a new file and
 * append it here.
 *
 * @example
 * await applyMigrations(db, { migrations: eventMigrations('vsa_events'), schema: 'vsa_events' });
 */
export function eventMigrations(schema: string = DEFAULT_SCHEMA): EventMigration[] {
  const s = validateSchemaName(schema);
  return [
    { name: '0001_events', sql: eventsMigration(s) },
    { name: '0002_consumers', sql: consumersMigration(s) },
    { name: '0003_consumer_members', sql: consumerMembersMigration(s) },
    { name: '0004_member_sessions', sql: memberSessionsMigration(s) },
  ];
}
