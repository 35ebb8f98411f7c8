import { eventColumnsSql } from '../read/event-row.js';

/**
 * SQL of consumer groups, per schema (built once, then cached). Every statement that moves a
 * position is fenced: it matches the lease epoch and owner the worker claimed, and the old
 * position (compare-and-set), so a zombie worker's late write changes nothing.
 */
export interface ConsumerSql {
  /** $1 group, $2 channel, $3 partitions, $4 types → partitions, types, inserted. */
  readonly insertGroup: string;
  /** $1 group, $2 channel → partitions, types; locks the group row until the transaction ends. */
  readonly selectGroup: string;
  /** $1 group, $2 channel, $3 types → the group's `types` filter replaced. */
  readonly updateTypes: string;
  /**
   * $1 group, $2 channel, $3 member → member_id of every other member still alive: its
   * heartbeat or a lease it holds has not expired.
   */
  readonly otherLiveMembers: string;
  /** $1 group, $2 channel, $3 partitions, $4 tick, $5 seq. */
  readonly insertPositions: string;
  readonly lastTick: string;
  readonly firstTickAt: string;
  /**
   * $1 group, $2 channel, $3 member, $4 member timeout ms, $5 session pid (the backend pid of
   * this process's LISTEN connection, or null).
   */
  readonly heartbeat: string;
  /**
   * $1 group, $2 channel, $3 own session pid, $4 judge → n: members whose heartbeat has not
   * expired and (with $4 true) whose session is not gone (see {@link sessionAliveSql}).
   */
  readonly liveMembers: string;
  /** $1 group, $2 channel, $3 member, $4 lease ms, $5 partitions[], $6 epochs[] → partition. */
  readonly renew: string;
  /**
   * $1 group, $2 channel, $3 member, $4 lease ms, $5 limit, $6 judge, $7 own session pid →
   * claimed rows: partitions whose lease is free, expired, or (with $6 true) held by a dead
   * member: its heartbeat expired, or its session is gone (see {@link sessionAliveSql}).
   */
  readonly claim: string;
  /**
   * $1 group, $2 channel, $3 member, $4 lease ms → every partition whose lease still names
   * this member id (left by an earlier process of this member that died), claimed with a new
   * epoch, so the old process's next fenced write fails. It waits for a batch transaction
   * of the old process still in flight (run it under a `lock_timeout`).
   */
  readonly reclaimOwn: string;
  /** $1 group, $2 channel, $3 member, $4 partitions[], $5 epochs[]. */
  readonly release: string;
  readonly leaveGroup: string;
  /** $1 group, $2 channel, $3 partition → attempts rows of the partition. */
  readonly loadAttempts: string;
  /**
   * $1 group, $2 channel, $3 partition, $4 epoch, $5 member, $6 new tick, $7 new seq,
   * $8 lease ms, $9 old tick, $10 old seq → n (1 = moved, 0 = fenced out).
   */
  readonly advance: string;
  /** As `advance`, plus $11 seqs[] whose attempt rows are deleted in the same statement. */
  readonly advanceAndClear: string;
  /** $1 group, $2 channel, $3 partition, $4 epoch, $5 member → tick_id, seq (FOR UPDATE). */
  readonly lockPosition: string;
  /** $1 group, $2 channel, $3 partition, $4 epoch, $5 member → tick_id, seq (no lock). */
  readonly readPosition: string;
  /**
   * $1 group, $2 channel, $3 partition, $4 epoch, $5 member, $6 seq, $7 started increment,
   * $8 finished increment, $9 next attempt delay ms, $10 error → attempts, finished.
   */
  readonly recordAttempt: string;
  /** $1 group, $2 channel, $3 partition, $4 seq, $5 event id, $6 attempts, $7 error, $8 tick. */
  readonly insertDeadLetter: string;
  readonly deleteAttempt: string;
  /** $1 group, $2 channel, $3 partition, $4 epoch, $5 member, $6 blocked seq. */
  readonly setBlocked: string;
  /**
   * $1 group, $2 channel, $3 partition, $4 epoch, $5 member, $6 blocked seq, $7 new tick or
   * null, $8 new seq or null: clears the block, moving past the event when discarded.
   */
  readonly unblock: string;
  /**
   * $1 group, $2 channel, $3 partitions[] → redriving dead letters with their events. A
   * redriving letter whose event no longer exists (deleted by hand, or by the retention of an
   * earlier version) goes back to `dead` in the same statement, with a
   * `VSA_EVENTS_DEAD_LETTER_EVENT_MISSING` error: it can never be delivered, so it must not
   * stay `redriving`.
   */
  readonly redriving: string;
  /** $1 id, $2 status, $3 attempts, $4 error. */
  readonly settleDeadLetter: string;
  /** $1 group, $2 channel, $3 partition, $4 seq → latest dead letter of that event. */
  readonly blockedLetter: string;
}

const cache = new Map<string, ConsumerSql>();

/** The event columns of a redrive row, as the read model maps them. */
const EVENT_COLUMNS = eventColumnsSql('e', false);

/** Code of the error stored on a dead letter whose event no longer exists. */
export const DEAD_LETTER_EVENT_MISSING = 'VSA_EVENTS_DEAD_LETTER_EVENT_MISSING';

/** The error JSON stored on dead letter `d` when its event is gone (keeps the old one as cause). */
function missingEventError(d: string): string {
  return `jsonb_build_object('name', 'DeadLetterEventMissingError', 'code', '${DEAD_LETTER_EVENT_MISSING}',
      'message', 'The event (seq ' || ${d}.seq || ') of this dead letter no longer exists, so it cannot be redelivered: discard the letter (discardDeadLetters).',
      'cause', ${d}.error)`;
}

/**
 * SQL condition: events row `e` is one partition `p` (a `consumer_positions` row of group `g`,
 * a `consumer_groups` row) has not processed yet, as of the newest tick `last` (a `ticks` row).
 * `pt` is the tick at the position (left join: null when that tick is gone, then every event
 * counts). Passed means: in a batch before the position's tick, or in that tick's batch with
 * a seq at or below the position's (DESIGN.md 3). Events of a batch at or after `pt` have a
 * tx_id at or above `pg_snapshot_xmin(pt.prev_snapshot)`: that bound makes it a range scan of
 * `events_tx_id`. With `types`, only the group's types count (lag); without, every event of
 * its partition does (what the position holds back from retention). @internal
 */
export function unprocessedEventSql(options: {
  readonly types: boolean;
  /** Bound `tx_id` below by the position's batch (default true); false when seq bounds it. */
  readonly txRange?: boolean;
}): string {
  const txRange =
    options.txRange === false
      ? ''
      : `\n            and e.tx_id >= coalesce(pg_snapshot_xmin(pt.prev_snapshot), '0'::xid8)`;
  return `e.channel = p.channel${txRange}
            and pg_visible_in_snapshot(e.tx_id, last.snapshot)
            and (pt.tick_id is null
                 or not pg_visible_in_snapshot(e.tx_id, pt.snapshot)
                 or (not pg_visible_in_snapshot(e.tx_id, pt.prev_snapshot) and e.seq > p.seq))
            and (g.partitions = 1 or e.key_hash % g.partitions = p.partition)${
              options.types ? '\n            and (g.types is null or e.type = any (g.types))' : ''
            }`;
}

/**
 * SQL condition: member row `m` (a `consumer_members` row) may still be alive as far as its
 * server session tells. A member records the backend pid of its process's LISTEN connection;
 * when that process is SIGKILLed PostgreSQL ends the session at once, so a pid no longer in
 * `pg_stat_activity` means the process is gone, long before its heartbeat expires. Alive when
 * no pid is known (no LISTEN, PGlite, an older version), when it is the judge's own session
 * (`ownPid`: a member of the same process, alive as the judge is), or when the session exists.
 * A live member whose LISTEN connection dropped writes its new pid (or null) at once, so it
 * looks dead for at most that round trip; fencing keeps a partition taken from it safe.
 * @internal
 */
export function sessionAliveSql(m: string, ownPid: string): string {
  return `(${m}.session_pid is null or ${m}.session_pid = ${ownPid}::integer
              or exists (select 1 from pg_stat_activity a where a.pid = ${m}.session_pid))`;
}

/** The statements for `schema` (validated by the caller). */
export function consumerSql(schema: string): ConsumerSql {
  const cached = cache.get(schema);
  if (cached !== undefined) return cached;
  const s = `"${schema}"`;
  const lease = `clock_timestamp() + make_interval(secs => $4::double precision / 1000)`;
  const fence = `group_name = $1 and channel = $2 and partition = $3 and lease_epoch = $4 and lease_owner = $5`;
  const advanceUpdate = `update ${s}.consumer_positions
       set tick_id = $6, seq = $7, updated_at = now(),
           lease_until = clock_timestamp() + make_interval(secs => $8::double precision / 1000)
     where ${fence} and tick_id = $9 and seq = $10`;
  const sql: ConsumerSql = {
    insertGroup: `insert into ${s}.consumer_groups (group_name, channel, partitions, types)
      values ($1, $2, $3, $4::text[]) on conflict (group_name, channel) do nothing
      returning partitions`,
    selectGroup: `select partitions, types from ${s}.consumer_groups where group_name = $1 and channel = $2
      for update`,
    updateTypes: `update ${s}.consumer_groups set types = $3::text[] where group_name = $1 and channel = $2`,
    otherLiveMembers: `select member_id from ${s}.consumer_members
       where group_name = $1 and channel = $2 and member_id <> $3 and heartbeat_until >= clock_timestamp()
      union
      select lease_owner from ${s}.consumer_positions
       where group_name = $1 and channel = $2 and lease_owner <> $3 and lease_until >= clock_timestamp()
      order by 1`,
    insertPositions: `insert into ${s}.consumer_positions (group_name, channel, partition, tick_id, seq)
      select $1, $2, p, $4, $5 from generate_series(0, $3::integer - 1) p
      on conflict (group_name, channel, partition) do nothing`,
    lastTick: `select tick_id, max_seq from ${s}.ticks order by tick_id desc limit 1`,
    firstTickAt: `select tick_id from ${s}.ticks where created_at >= $1 order by tick_id limit 1`,
    heartbeat: `insert into ${s}.consumer_members (group_name, channel, member_id, heartbeat_until, session_pid)
      values ($1, $2, $3, ${lease}, $5::integer)
      on conflict (group_name, channel, member_id) do update
        set heartbeat_until = excluded.heartbeat_until, session_pid = excluded.session_pid`,
    liveMembers: `with gone as (
        delete from ${s}.consumer_members
         where group_name = $1 and channel = $2 and heartbeat_until < clock_timestamp())
      select count(*)::integer as n from ${s}.consumer_members m
       where m.group_name = $1 and m.channel = $2 and m.heartbeat_until >= clock_timestamp()
         and (not $4::boolean or ${sessionAliveSql('m', '$3')})`,
    renew: `update ${s}.consumer_positions p set lease_until = ${lease}
       from unnest($5::integer[], $6::bigint[]) as h(partition, epoch)
      where p.group_name = $1 and p.channel = $2 and p.partition = h.partition
        and p.lease_epoch = h.epoch and p.lease_owner = $3
      returning p.partition`,
    claim: `update ${s}.consumer_positions p
        set lease_owner = $3, lease_until = ${lease}, lease_epoch = p.lease_epoch + 1
       from (select c.partition, c.lease_owner is not null as unclean
               from ${s}.consumer_positions c
              where c.group_name = $1 and c.channel = $2
                and (c.lease_owner is null or c.lease_until < clock_timestamp()
                     or ($6::boolean and c.lease_owner <> $3 and not exists (
                           select 1 from ${s}.consumer_members m
                            where m.group_name = $1 and m.channel = $2
                              and m.member_id = c.lease_owner
                              and m.heartbeat_until >= clock_timestamp()
                              and ${sessionAliveSql('m', '$7')})))
              order by c.partition
              for update skip locked
              limit $5) free
      where p.group_name = $1 and p.channel = $2 and p.partition = free.partition
      returning p.partition, p.tick_id, p.seq, p.lease_epoch, p.blocked_seq, free.unclean`,
    reclaimOwn: `update ${s}.consumer_positions p
        set lease_until = ${lease}, lease_epoch = p.lease_epoch + 1
      where p.group_name = $1 and p.channel = $2 and p.lease_owner = $3
      returning p.partition, p.tick_id, p.seq, p.lease_epoch, p.blocked_seq, true as unclean`,
    release: `update ${s}.consumer_positions p set lease_owner = null, lease_until = null
       from unnest($4::integer[], $5::bigint[]) as h(partition, epoch)
      where p.group_name = $1 and p.channel = $2 and p.partition = h.partition
        and p.lease_epoch = h.epoch and p.lease_owner = $3`,
    leaveGroup: `delete from ${s}.consumer_members where group_name = $1 and channel = $2 and member_id = $3`,
    loadAttempts: `select seq, attempts, finished, next_attempt_at, last_error
      from ${s}.consumer_attempts where group_name = $1 and channel = $2 and partition = $3`,
    advance: `with moved as (${advanceUpdate} returning 1) select count(*)::integer as n from moved`,
    advanceAndClear: `with moved as (${advanceUpdate} returning 1),
      cleared as (delete from ${s}.consumer_attempts
                   where group_name = $1 and channel = $2 and seq = any ($11::bigint[])
                     and exists (select 1 from moved))
      select count(*)::integer as n from moved`,
    lockPosition: `select tick_id, seq from ${s}.consumer_positions where ${fence} for update`,
    readPosition: `select tick_id, seq from ${s}.consumer_positions where ${fence}`,
    recordAttempt: `with fenced as (select 1 from ${s}.consumer_positions where ${fence})
      insert into ${s}.consumer_attempts
        (group_name, channel, seq, partition, attempts, finished, next_attempt_at, last_error, updated_at)
      select $1, $2, $6, $3, $7, $8, clock_timestamp() + make_interval(secs => $9::double precision / 1000),
             $10::jsonb, now()
        from fenced
      on conflict (group_name, channel, seq) do update
        set attempts = ${s}.consumer_attempts.attempts + $7,
            finished = ${s}.consumer_attempts.finished + $8,
            next_attempt_at = excluded.next_attempt_at,
            last_error = coalesce(excluded.last_error, ${s}.consumer_attempts.last_error),
            updated_at = now()
      returning attempts, finished, last_error`,
    insertDeadLetter: `insert into ${s}.dead_letters
        (group_name, channel, partition, seq, event_id, attempts, error, tick_id)
      values ($1, $2, $3, $4, $5::uuid, $6, $7::jsonb, $8) returning id`,
    deleteAttempt: `delete from ${s}.consumer_attempts where group_name = $1 and channel = $2 and seq = $3`,
    setBlocked: `update ${s}.consumer_positions set blocked_seq = $6, updated_at = now() where ${fence}`,
    unblock: `update ${s}.consumer_positions
        set blocked_seq = null, tick_id = coalesce($7, tick_id), seq = coalesce($8, seq), updated_at = now()
      where ${fence} and blocked_seq = $6`,
    redriving: `with orphaned as (
        update ${s}.dead_letters d set status = 'dead', updated_at = now(),
               error = ${missingEventError('d')}
         where d.group_name = $1 and d.channel = $2 and d.status = 'redriving'
           and d.partition = any ($3::integer[])
           and not exists (select 1 from ${s}.events e where e.seq = d.seq))
      select d.id as dl_id, d.partition, d.attempts, d.tick_id, ${EVENT_COLUMNS}
      from ${s}.dead_letters d join ${s}.events e on e.seq = d.seq
     where d.group_name = $1 and d.channel = $2 and d.status = 'redriving' and d.partition = any ($3::integer[])
     order by d.id limit 100`,
    settleDeadLetter: `update ${s}.dead_letters set status = $2, attempts = $3,
      error = coalesce($4::jsonb, error), updated_at = now() where id = $1 and status = 'redriving'`,
    blockedLetter: `select id, status, tick_id from ${s}.dead_letters
      where group_name = $1 and channel = $2 and partition = $3 and seq = $4 order by id desc limit 1`,
  };
  cache.set(schema, sql);
  return sql;
}
