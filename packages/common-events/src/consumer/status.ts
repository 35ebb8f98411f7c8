import type { Database } from '@vsa/common-db';
import { InvalidArgumentError } from '../errors.js';
import { toNumber } from '../executor.js';
import { encodeCursor } from '../read/cursor.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../schema-name.js';
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

/** An open transaction that holds events back (its own, until it commits) and the xmin horizon. */
export interface OpenTransaction {
  readonly pid: number;
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
  /** Write transactions open longest (up to 5): what delays delivery when something stalls. */
  readonly oldestTransactions: OpenTransaction[];
}

/** Options of {@link getConsumerStatus}. */
export interface ConsumerStatusOptions {
  readonly schema?: string;
  readonly group?: string;
  readonly channel?: string;
}

/**
 * Lag, dead-letter depth, leases and what holds delivery back, per group and partition, for
 * an API's status and metrics endpoints. Lag counts cost a scan of the unprocessed events of
 * each partition (indexed by `tx_id`): poll it every few seconds, not per request.
 *
 * @example
 * app.get('/status/consumers', async () => getConsumerStatus(db));
 */
export async function getConsumerStatus(
  db: Database<unknown>,
  options: ConsumerStatusOptions = {},
): Promise<ConsumerStatus> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('getConsumerStatus takes { schema?, group?, channel? }.');
  }
  const schema = validateSchemaName(options.schema ?? DEFAULT_SCHEMA);
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
            p.lease_epoch, p.blocked_seq, g.partitions, g.types, l.n as lag_events,
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
         select count(*)::integer as n, min(e.recorded_at) as oldest
           from ${s}.events e
          where e.channel = p.channel
            and e.tx_id >= coalesce(pg_snapshot_xmin(pt.prev_snapshot), '0'::xid8)
            and pg_visible_in_snapshot(e.tx_id, last.snapshot)
            and (pt.tick_id is null
                 or not pg_visible_in_snapshot(e.tx_id, pt.snapshot)
                 or (not pg_visible_in_snapshot(e.tx_id, pt.prev_snapshot) and e.seq > p.seq))
            and (g.partitions = 1 or e.key_hash % g.partitions = p.partition)
            and (g.types is null or e.type = any (g.types))) l
      where ($1::text is null or p.group_name = $1) and ($2::text is null or p.channel = $2)
      order by p.group_name, p.channel, p.partition`,
    [options.group ?? null, options.channel ?? null],
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
  let oldestTransactions: OpenTransaction[] = [];
  try {
    const tx = await db.query<{
      pid: number;
      age: number;
      state: string | null;
      application_name: string | null;
      query: string | null;
    }>(
      `select pid, extract(epoch from (now() - xact_start))::double precision as age, state,
              application_name, left(query, 200) as query
         from pg_stat_activity
        where backend_xid is not null and pid <> pg_backend_pid() and datname = current_database()
        order by xact_start limit 5`,
    );
    oldestTransactions = tx.rows.map((t) => ({
      pid: t.pid,
      ageSeconds: t.age,
      state: t.state,
      applicationName: t.application_name,
      query: t.query,
    }));
  } catch {
    // PGlite has one backend and no activity view worth reading.
  }
  const lastTick = last.rows[0]?.tick_id;
  return {
    groups: [...groups.values()],
    lastTick: lastTick === null || lastTick === undefined ? null : toNumber(lastTick),
    oldestTransactions,
  };
}
