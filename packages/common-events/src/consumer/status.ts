import type { Database } from '@vsa/common-db';
import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.js';
import { toNumber } from '../executor.js';
import { at, nameOption, schemaOption } from '../option-schemas.js';
import { encodeCursor } from '../read/cursor.js';
import { unprocessedEventSql } from './consumer-sql.js';
import { localConsumers } from './registry.js';

/** State of one partition of a consumer group. */
export interface PartitionStatus {
  readonly partition: number;
  /** Committed position (cursor). */
  readonly position: string;
  /** Events of the channel (and partition, and types) not yet processed. */
  readonly lagEvents: number;
  /** Time between the tick at the position and the newest tick, in seconds (0 when caught up). */
  readonly lagSeconds: number;
  /** Age of the oldest unprocessed event in seconds, null when none. */
  readonly oldestUnprocessedAgeSeconds: number | null;
  readonly leaseOwner: string | null;
  readonly leaseUntil: Date | null;
  readonly leaseEpoch: number;
  /** Seq of the event a blocked partition waits at, else null. */
  readonly blockedSeq: number | null;
}

/** In-process counters of the members of a group running in this process. */
export interface LocalGroupCounters {
  readonly handled: number;
  readonly failed: number;
  readonly deadLettered: number;
  /** Handler duration in ms over every local member. */
  readonly handlerMs: { readonly count: number; readonly mean: number; readonly max: number };
}

/** One consumer group on one channel. */
export interface GroupStatus {
  readonly group: string;
  readonly channel: string;
  readonly partitions: number;
  readonly types: readonly string[] | null;
  /** Dead letters with status `dead` or `redriving`. */
  readonly deadLetters: number;
  readonly lagEvents: number;
  readonly partitionStatus: readonly PartitionStatus[];
  /** Counters of members in this process (zero when none runs here). */
  readonly local: LocalGroupCounters;
}

/**
 * An open transaction that wrote events to the bus's schema: no consumer sees those events
 * until it commits (a rollback drops them). Only its own events wait: events committed later
 * are delivered meanwhile (DESIGN.md 3).
 */
export interface OpenTransaction {
  /** Backend pid (`pg_backend_pid()` of its session; `pg_terminate_backend` takes it). */
  readonly pid: number;
  /** Seconds since the transaction began. */
  readonly ageSeconds: number;
  readonly state: string | null;
  readonly applicationName: string | null;
  /** First 200 characters of its current or last statement. */
  readonly query: string | null;
}

/** Result of {@link getConsumerStatus}. */
export interface ConsumerStatus {
  readonly groups: GroupStatus[];
  /** Newest tick id (null before the first). */
  readonly lastTick: number | null;
  /**
   * What holds delivery back: the open transactions that inserted (or updated, deleted)
   * events of this schema, oldest first, up to 5. Found by their lock on the events table,
   * which they hold until they end, so a transaction that began after the newest tick is
   * listed too, and one that wrote only other tables is not. Always empty on PGlite (one
   * session, nothing else can hold a transaction open).
   */
  readonly oldestTransactions: OpenTransaction[];
}

/** Options of {@link getConsumerStatus}. */
export interface ConsumerStatusOptions {
  readonly schema?: string;
  readonly group?: string;
  readonly channel?: string;
}

/**
 * Lag up to this many events is counted exactly; above it, `lagEvents` is estimated from the
 * position's seq range and the density of the first events in it, so a status costs the same
 * with any lag (and while a long transaction pins the xmin). @internal
 */
export const LAG_COUNT_LIMIT = 1000;

const statusSchema = z.strictObject({
  schema: schemaOption,
  group: nameOption.optional(),
  channel: nameOption.optional(),
});

/**
 * Lag, dead-letter depth, leases and what holds delivery back, per group and partition, for
 * an API's status and metrics endpoints. `lagEvents` is exact up to 1,000 events per partition
 * and estimated above (from the position's seq range), so the cost does not grow with the lag.
 *
 * @example
 * app.get('/status/consumers', async () => getConsumerStatus(db));
 */
export async function getConsumerStatus(
  db: Database<unknown>,
  options: ConsumerStatusOptions = {},
): Promise<ConsumerStatus> {
  if (
    typeof db !== 'object' ||
    db === null ||
    typeof (db as { query?: unknown }).query !== 'function'
  ) {
    throw new InvalidArgumentError(
      `getConsumerStatus(db, options): db must be a @vsa/common-db Database, got ${String(db)}.`,
    );
  }
  const o = parseOptions(statusSchema, options, at('getConsumerStatus(db, options)'));
  const { schema } = o;
  const group = o.group ?? null;
  const channel = o.channel ?? null;
  const s = `"${schema}"`;
  const { rows } = await db.query<{
    group_name: string;
    channel: string;
    partition: number;
    tick_id: unknown;
    seq: unknown;
    lease_owner: string | null;
    lease_until: Date | string | null;
    lease_epoch: unknown;
    blocked_seq: unknown;
    partitions: number;
    types: string[] | null;
    lag_events: number;
    oldest_age: number | null;
    lag_seconds: number | null;
    dead: number;
  }>(
    `with last as (select tick_id, snapshot, created_at from ${s}.ticks order by tick_id desc limit 1)
     select p.group_name, p.channel, p.partition, p.tick_id, p.seq, p.lease_owner, p.lease_until,
            p.lease_epoch, p.blocked_seq, g.partitions, g.types,
            case when l.n <= ${LAG_COUNT_LIMIT} then l.n
                 else round(l.n::numeric * (b.hi - b.lo + 1) / greatest(1, l.hi_seen - b.lo + 1))::integer
            end as lag_events,
            extract(epoch from (now() - l.oldest))::double precision as oldest_age,
            case when l.n = 0 then 0
                 else extract(epoch from (last.created_at - pt.created_at))::double precision end as lag_seconds,
            (select count(*)::integer from ${s}.dead_letters d
              where d.group_name = p.group_name and d.channel = p.channel
                and d.status in ('dead', 'redriving')) as dead
       from ${s}.consumer_positions p
       join ${s}.consumer_groups g on g.group_name = p.group_name and g.channel = p.channel
       cross join last
       left join ${s}.ticks pt on pt.tick_id = p.tick_id
       cross join lateral (
         -- The seq range the unprocessed events lie in: the rest of the position's batch and
         -- every later batch (a late committer's seq may be lower than the position's).
         select least(p.seq + 1, min(k.min_seq)) as lo,
                greatest(coalesce(max(k.max_seq), 0), coalesce(pt.max_seq, 0)) as hi
           from ${s}.ticks k where k.tick_id > p.tick_id) b
       cross join lateral (
         select count(*)::integer as n, min(u.recorded_at) as oldest, max(u.seq) as hi_seen
           from (select e.seq, e.recorded_at from ${s}.events e
                  where e.seq >= b.lo and e.seq <= b.hi
                    and ${unprocessedEventSql({ types: true, txRange: false })}
                  order by e.seq
                  limit ${LAG_COUNT_LIMIT + 1}) u) l
      where ($1::text is null or p.group_name = $1) and ($2::text is null or p.channel = $2)
      order by p.group_name, p.channel, p.partition`,
    [group, channel],
  );
  const local = localConsumers(db, schema).map((c) => c.stats());
  const groups = new Map<string, GroupStatus & { partitionStatus: PartitionStatus[] }>();
  for (const r of rows) {
    const id = `${r.group_name}\u0000${r.channel}`;
    let g = groups.get(id);
    if (g === undefined) {
      const mine = local.filter((c) => c.group === r.group_name && c.channel === r.channel);
      const count = mine.reduce((n, c) => n + c.handlerMs.count, 0);
      g = {
        group: r.group_name,
        channel: r.channel,
        partitions: r.partitions,
        types: r.types,
        deadLetters: r.dead,
        lagEvents: 0,
        partitionStatus: [],
        local: {
          handled: mine.reduce((n, c) => n + c.handled, 0),
          failed: mine.reduce((n, c) => n + c.failed, 0),
          deadLettered: mine.reduce((n, c) => n + c.deadLettered, 0),
          handlerMs: {
            count,
            mean: count === 0 ? 0 : mine.reduce((n, c) => n + c.handlerMs.total, 0) / count,
            max: mine.reduce((n, c) => Math.max(n, c.handlerMs.max), 0),
          },
        },
      };
      groups.set(id, g);
    }
    g.partitionStatus.push({
      partition: r.partition,
      position: encodeCursor({ tick: toNumber(r.tick_id), seq: toNumber(r.seq) }),
      lagEvents: r.lag_events,
      lagSeconds: Math.max(0, r.lag_seconds ?? 0),
      oldestUnprocessedAgeSeconds: r.oldest_age === null ? null : Math.max(0, r.oldest_age),
      leaseOwner: r.lease_owner,
      leaseUntil: r.lease_until === null ? null : new Date(r.lease_until),
      leaseEpoch: toNumber(r.lease_epoch),
      blockedSeq: r.blocked_seq === null ? null : toNumber(r.blocked_seq),
    });
    (g as { lagEvents: number }).lagEvents += r.lag_events;
  }
  const last = await db.query<{ tick_id: unknown }>(
    `select max(tick_id) as tick_id from ${s}.ticks`,
  );
  const oldestTransactions = db.kind === 'pglite' ? [] : await eventWriters(db, schema);
  const lastTick = last.rows[0]?.tick_id;
  return {
    groups: [...groups.values()],
    lastTick: lastTick === null || lastTick === undefined ? null : toNumber(lastTick),
    oldestTransactions,
  };
}

/**
 * Open transactions holding a write lock on `<schema>.events` (taken by every insert, kept to
 * the end of the transaction), oldest first. The relation oid is only unique per database,
 * hence the database filter.
 */
async function eventWriters(db: Database<unknown>, schema: string): Promise<OpenTransaction[]> {
  const { rows } = await db.query<{
    pid: number;
    age: number;
    state: string | null;
    application_name: string | null;
    query: string | null;
  }>(
    `select a.pid, extract(epoch from (clock_timestamp() - a.xact_start))::double precision as age,
            a.state, a.application_name, left(a.query, 200) as query
       from pg_stat_activity a
      where a.pid <> pg_backend_pid() and a.xact_start is not null and a.backend_xid is not null
        and exists (
          select 1 from pg_locks l
           where l.pid = a.pid and l.locktype = 'relation' and l.mode = 'RowExclusiveLock'
             and l.granted and l.relation = to_regclass($1)
             and l.database = (select oid from pg_database where datname = current_database()))
      order by a.xact_start limit 5`,
    [`"${schema}".events`],
  );
  return rows.map((t) => ({
    pid: t.pid,
    ageSeconds: Math.max(0, t.age),
    state: t.state,
    applicationName: t.application_name,
    query: t.query,
  }));
}
