/**
 * Migration 0002: the consumer-group tables (`src/consumer/`) build on: positions with
 * leases and fencing epochs, per-event attempts, dead letters. See DESIGN.md section 2.
 *
 * @param schema - a validated schema name (see `validateSchemaName`).
 */
export function consumersMigration(schema: string): string {
  const s = `"${schema}"`;
  return `
create table ${s}.consumer_groups (
  group_name text        not null,
  channel    text        not null,
  partitions integer     not null default 1 check (partitions between 1 and 32767),
  types      text[],
  status     text        not null default 'active' check (status in ('active', 'paused')),
  created_at timestamptz not null default now(),
  primary key (group_name, channel)
);

-- Small rows updated on every batch: leave room on the page for HOT updates.
create table ${s}.consumer_positions (
  group_name  text        not null,
  channel     text        not null,
  partition   integer     not null,
  tick_id     bigint      not null default 0,
  seq         bigint      not null default 0,
  lease_owner text,
  lease_until timestamptz,
  lease_epoch bigint      not null default 0,
  blocked_seq bigint,
  updated_at  timestamptz not null default now(),
  primary key (group_name, channel, partition),
  foreign key (group_name, channel) references ${s}.consumer_groups (group_name, channel) on delete cascade
) with (fillfactor = 50);

create table ${s}.consumer_attempts (
  group_name      text        not null,
  channel         text        not null,
  seq             bigint      not null,
  partition       integer     not null,
  attempts        integer     not null default 0,
  finished        integer     not null default 0,
  next_attempt_at timestamptz,
  last_error      jsonb,
  updated_at      timestamptz not null default now(),
  primary key (group_name, channel, seq)
);

create table ${s}.dead_letters (
  id         bigint      generated always as identity primary key,
  group_name text        not null,
  channel    text        not null,
  partition  integer     not null,
  seq        bigint      not null,
  event_id   uuid        not null,
  attempts   integer     not null,
  error      jsonb       not null,
  status     text        not null default 'dead' check (status in ('dead', 'redriven', 'discarded')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index dead_letters_group on ${s}.dead_letters (group_name, channel, status, id);
`;
}
