/**
 * Migration 0003: what consumer groups need beyond 0002: group membership (fair sharing of
 * partitions between processes), the tick of each dead letter (to resume a blocked partition
 * exactly at it) and the `redriving` status (a redrive requested, not yet delivered).
 *
 * @param schema - a validated schema name (see `validateSchemaName`).
 */
export function consumerMembersMigration(schema: string): string {
  const s = `"${schema}"`;
  return `
-- One row per live consumer process of a (group, channel); heartbeats renew it. The number
-- of live members decides each one's fair share of the partitions.
create table ${s}.consumer_members (
  group_name      text        not null,
  channel         text        not null,
  member_id       text        not null,
  heartbeat_until timestamptz not null,
  primary key (group_name, channel, member_id),
  foreign key (group_name, channel) references ${s}.consumer_groups (group_name, channel) on delete cascade
);

alter table ${s}.dead_letters add column tick_id bigint;
alter table ${s}.dead_letters drop constraint dead_letters_status_check;
alter table ${s}.dead_letters add constraint dead_letters_status_check
  check (status in ('dead', 'redriving', 'redriven', 'discarded'));
create index dead_letters_redriving on ${s}.dead_letters (group_name, channel, partition)
  where status = 'redriving';
create index consumer_attempts_partition on ${s}.consumer_attempts (group_name, channel, partition);
`;
}
