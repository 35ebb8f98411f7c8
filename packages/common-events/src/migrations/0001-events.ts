/**
 * Migration 0001: the append-only events table, snapshot ticks and the `tick()` function.
 * See DESIGN.md sections 2 and 3 for why each column and index exists.
 *
 * @param schema - a validated schema name (see `validateSchemaName`).
 */
export function eventsMigration(schema: string): string {
  const s = `"${schema}"`;
  return `
create schema if not exists ${s};

-- tx_id comes before seq: its default assigns the transaction id before nextval runs.
create table ${s}.events (
  tx_id           xid8        not null default pg_current_xact_id(),
  seq             bigint      generated always as identity primary key,
  id              uuid        not null,
  channel         text        not null,
  type            text        not null,
  version         integer     not null,
  key             text,
  key_hash        integer     not null,
  payload         jsonb       not null,
  metadata        jsonb       not null default '{}'::jsonb,
  idempotency_key text,
  occurred_at     timestamptz not null default now(),
  recorded_at     timestamptz not null default now()
);
create index events_channel_seq on ${s}.events (channel, seq);
create index events_tx_id on ${s}.events (tx_id);
create unique index events_idempotency on ${s}.events (channel, idempotency_key)
  where idempotency_key is not null;

create table ${s}.ticks (
  tick_id       bigint      primary key,
  snapshot      pg_snapshot not null,
  prev_snapshot pg_snapshot not null,
  min_seq       bigint      not null,
  max_seq       bigint      not null,
  event_count   integer     not null,
  created_at    timestamptz not null default now()
);
-- Tick 0: the events table is empty in this transaction, so batch 0 is empty by definition.
insert into ${s}.ticks (tick_id, snapshot, prev_snapshot, min_seq, max_seq, event_count)
values (0, pg_current_snapshot(), pg_current_snapshot(), 0, 0, 0);

-- Records a tick when transactions with events committed since the last one; returns its id,
-- or null (writing nothing) when the batch would be empty. Safe to call from anywhere at any
-- time: the advisory lock serializes tickers until commit.
create function ${s}.tick() returns bigint
language plpgsql as $fn$
declare
  prev_id   bigint;
  prev_snap pg_snapshot;
  cur_snap  pg_snapshot;
  b_min     bigint;
  b_max     bigint;
  b_count   integer;
begin
  perform pg_advisory_xact_lock(hashtext('vsa_events.ticker'), hashtext('${schema}'));
  select t.tick_id, t.snapshot into prev_id, prev_snap
    from ${s}.ticks t order by t.tick_id desc limit 1;
  cur_snap := pg_current_snapshot();
  -- Not visible in prev = tx_id >= xmax(prev) or in xip(prev); visible in cur implies
  -- tx_id < xmax(cur). Probing xip(prev) avoids scanning back to xmin (PgQ).
  select min(e.seq), max(e.seq), count(*)::integer into b_min, b_max, b_count
    from ${s}.events e
   where ((e.tx_id >= pg_snapshot_xmax(prev_snap) and e.tx_id < pg_snapshot_xmax(cur_snap))
          or e.tx_id = any (array(select pg_snapshot_xip(prev_snap))))
     and pg_visible_in_snapshot(e.tx_id, cur_snap)
     and not pg_visible_in_snapshot(e.tx_id, prev_snap);
  if b_count = 0 then
    return null;
  end if;
  insert into ${s}.ticks (tick_id, snapshot, prev_snapshot, min_seq, max_seq, event_count)
  values (prev_id + 1, cur_snap, prev_snap, b_min, b_max, b_count);
  perform pg_notify('${schema}.tick', (prev_id + 1)::text);
  return prev_id + 1;
end
$fn$;
-- One page of a channel in delivery order (DESIGN.md 3.2): batches by tick, seq inside a
-- batch, starting after position (p_tick, p_seq). STABLE: every statement inside uses the
-- caller's snapshot, so the ticks walked and the events read are one consistent view. When
-- fewer than p_limit events are found, a final marker row (id null) carries the last tick
-- examined and its max_seq: the position to resume from. Optional partition filter
-- (key_hash % p_partitions = p_partition) for consumer groups.
create function ${s}.read_channel(
  p_channel text, p_tick bigint, p_seq bigint, p_limit integer,
  p_types text[] default null, p_partitions integer default 1, p_partition integer default 0
) returns table (
  tick_id bigint, seq bigint, tx_id text, id text, channel text, type text, version integer,
  key text, key_hash integer, payload jsonb, metadata jsonb, idempotency_key text,
  occurred_at timestamptz, recorded_at timestamptz
)
language plpgsql stable as $fn$
declare
  t record;
  remaining integer := p_limit;
  n integer;
  last_tick bigint := p_tick;
  last_seq bigint := p_seq;
begin
  for t in
    select k.tick_id, k.snapshot, k.prev_snapshot, k.min_seq, k.max_seq
      from ${s}.ticks k where k.tick_id >= p_tick order by k.tick_id
  loop
    if t.tick_id > p_tick or p_seq < t.max_seq then
      return query
        select t.tick_id, e.seq, e.tx_id::text, e.id::text, e.channel, e.type, e.version,
               e.key, e.key_hash, e.payload, e.metadata, e.idempotency_key, e.occurred_at,
               e.recorded_at
          from ${s}.events e
         where e.channel = p_channel
           and e.seq >= case when t.tick_id = p_tick then greatest(t.min_seq, p_seq + 1) else t.min_seq end
           and e.seq <= t.max_seq
           and pg_visible_in_snapshot(e.tx_id, t.snapshot)
           and not pg_visible_in_snapshot(e.tx_id, t.prev_snapshot)
           and (p_types is null or e.type = any (p_types))
           and (p_partitions = 1 or e.key_hash % p_partitions = p_partition)
         order by e.seq
         limit remaining;
      get diagnostics n = row_count;
      remaining := remaining - n;
      if remaining <= 0 then
        return;
      end if;
    end if;
    last_tick := t.tick_id;
    last_seq := t.max_seq;
  end loop;
  return query select last_tick, last_seq, null::text, null::text, null::text, null::text,
    null::integer, null::text, null::integer, null::jsonb, null::jsonb, null::text,
    null::timestamptz, null::timestamptz;
end
$fn$;
`;
}
