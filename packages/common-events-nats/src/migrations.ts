/** One migration as @vsa/common-db's `applyMigrations` takes it. */
export interface RelayMigration {
  readonly name: string;
  readonly sql: string;
}

/**
 * The relay's tables in `schema` (its own, e.g. `vsa_events_nats`): one cursor row per relay,
 * the last bus position it saw acknowledged and the stream sequence JetStream gave it.
 */
export function relayMigrations(schema: string): RelayMigration[] {
  const s = `"${schema}"`;
  return [
    {
      name: '0001_relay_cursors',
      sql: `create schema if not exists ${s};
create table if not exists ${s}.relay_cursors (
  relay      text        primary key,
  channel    text        not null,
  stream     text        not null,
  position   text        not null,
  stream_seq bigint      not null,
  updated_at timestamptz not null default now()
);
`,
    },
  ];
}
