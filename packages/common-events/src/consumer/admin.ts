import { ConflictError, parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import { type EventExecutor, toNumber, toQueryable } from '../executor.js';
import {
  at,
  intAtLeast,
  intOption,
  nameOption,
  numberAtLeast,
  schemaOption,
} from '../option-schemas.js';
import { encodeCursor } from '../read/cursor.js';
import { DEAD_LETTER_EVENT_MISSING, unprocessedEventSql } from './consumer-sql.js';
import { ConsumerGroupNotFoundError } from './errors.js';
import { checkStartCursor, type StartFrom, startFromOption } from './options.js';
import { resolveStartPosition } from './start-position.js';

/** Schema option of the admin functions. */
export interface SchemaOption {
  /** Schema of the bus (default `vsa_events`). */
  readonly schema?: string;
}

/** Status of a dead letter. `redriving`: a redrive was asked for and is not delivered yet. */
export type DeadLetterStatus = 'dead' | 'redriving' | 'redriven' | 'discarded';

/** One event a consumer group gave up on. */
export interface DeadLetter {
  readonly id: number;
  readonly group: string;
  readonly channel: string;
  readonly partition: number;
  readonly seq: number;
  readonly eventId: string;
  /** Deliveries so far (failures and crashes). */
  readonly attempts: number;
  /** The last error: `{ name, message, code?, stack? }`. */
  readonly error: Record<string, unknown>;
  readonly status: DeadLetterStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Filter of {@link listDeadLetters}. */
export interface ListDeadLettersOptions extends SchemaOption {
  readonly group?: string;
  readonly channel?: string;
  /** Default `'dead'`. */
  readonly status?: DeadLetterStatus;
  /** Default 100, at most 10,000. */
  readonly limit?: number;
  /** Only letters with an id greater than this (paging). */
  readonly afterId?: number;
}

/** Which dead letters an action applies to: explicit ids, or every `dead` one of a group. */
export type DeadLetterSelection =
  | ({ readonly ids: readonly number[] } & SchemaOption)
  | ({ readonly group: string; readonly channel?: string } & SchemaOption);

/**
 * `redriveDeadLetters` met dead letters whose event no longer exists (deleted by hand, or by
 * the retention of an earlier version, which did not keep them): they can never be delivered
 * again. Nothing was marked; discard these letters, then redrive the rest.
 */
export class DeadLetterEventMissingError extends ConflictError {
  /** Ids of the letters whose event is gone. */
  readonly ids: readonly number[];

  constructor(ids: readonly number[]) {
    super(
      DEAD_LETTER_EVENT_MISSING,
      `Dead letter(s) ${ids.join(', ')} cannot be redriven: their event no longer exists. Nothing was redriven; discard them with discardDeadLetters({ ids: [${ids.join(', ')}] }), then redrive again.`,
    );
    this.ids = ids;
  }
}

const STATUSES = ['dead', 'redriving', 'redriven', 'discarded'] as const;

const listSchema = z.strictObject({
  schema: schemaOption,
  group: nameOption.optional(),
  channel: nameOption.optional(),
  status: z.enum(STATUSES, `must be one of ${STATUSES.join(', ')}`).default('dead'),
  limit: intOption(1, 10_000).default(100),
  afterId: intAtLeast(0, 'a dead letter id').default(0),
});

const selectionSchema = z
  .strictObject({
    schema: schemaOption,
    ids: z
      .array(intAtLeast(1, 'a dead letter id'), 'must be an array of dead letter ids')
      .optional(),
    group: nameOption.optional(),
    channel: nameOption.optional(),
  })
  .superRefine((o, ctx) => {
    if (o.ids !== undefined && (o.group !== undefined || o.channel !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'takes { ids } or { group, channel? }, not both: drop ids or group',
      });
    } else if (o.ids === undefined && o.group === undefined) {
      ctx.addIssue({ code: 'custom', message: 'takes { ids } or { group, channel? }: give one' });
    }
  });

const resetSchema = z.strictObject({
  schema: schemaOption,
  group: nameOption,
  channel: nameOption.optional(),
  to: startFromOption,
});

const pruneSchema = z.strictObject({
  schema: schemaOption,
  olderThan: z.date('must be a valid Date'),
  lagLimitSeconds: numberAtLeast(0).default(86_400),
});

/**
 * Lists dead letters, oldest first.
 *
 * @example
 * const letters = await listDeadLetters(db, { group: 'billing' });
 */
export async function listDeadLetters(
  db: EventExecutor,
  options: ListDeadLettersOptions = {},
): Promise<DeadLetter[]> {
  const o = parseOptions(listSchema, options, at('listDeadLetters(db, options)'));
  const { schema: s, status, afterId, limit } = o;
  const group = o.group ?? null;
  const channel = o.channel ?? null;
  const { rows } = await toQueryable(db).query<{
    id: unknown;
    group_name: string;
    channel: string;
    partition: number;
    seq: unknown;
    event_id: string;
    attempts: number;
    error: Record<string, unknown>;
    status: DeadLetterStatus;
    created_at: Date | string;
    updated_at: Date | string;
  }>(
    `select id, group_name, channel, partition, seq, event_id::text as event_id, attempts, error,
            status, created_at, updated_at
       from "${s}".dead_letters
      where ($1::text is null or group_name = $1) and ($2::text is null or channel = $2)
        and status = $3 and id > $4
      order by id limit $5`,
    [group, channel, status, afterId, limit],
  );
  return rows.map((r) => ({
    id: toNumber(r.id),
    group: r.group_name,
    channel: r.channel,
    partition: r.partition,
    seq: toNumber(r.seq),
    eventId: r.event_id,
    attempts: r.attempts,
    error: r.error,
    status: r.status,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  }));
}

/** A parsed {@link DeadLetterSelection}: its schema, the SQL condition on `d`, its parameters. */
function selectionFilter(
  what: string,
  selection: DeadLetterSelection,
): { readonly schema: string; readonly where: string; readonly params: unknown[] } {
  const o = parseOptions(selectionSchema, selection, at(`${what}(db, selection)`));
  if (o.ids !== undefined) {
    return { schema: o.schema, where: 'd.id = any ($1::bigint[])', params: [o.ids] };
  }
  return {
    schema: o.schema,
    where: 'd.group_name = $1 and ($2::text is null or d.channel = $2)',
    params: [o.group, o.channel ?? null],
  };
}

/**
 * Moves the selected letters in a status of `from` to `to`, in one statement. With
 * `requireEvent`, nothing moves when a selected letter's event is gone: their ids come back in
 * `missing` (an event with a `dead` or `redriving` letter is never pruned, so the check holds
 * until the letter is delivered).
 */
async function setStatus(
  db: EventExecutor,
  selection: DeadLetterSelection,
  from: readonly DeadLetterStatus[],
  to: DeadLetterStatus,
  what: string,
  requireEvent: boolean,
): Promise<{ readonly marked: number; readonly missing: number[] }> {
  const { schema: s, where, params } = selectionFilter(what, selection);
  const n = params.length;
  const present = requireEvent
    ? `exists (select 1 from "${s}".events e where e.seq = d.seq)`
    : 'true';
  const { rows } = await toQueryable(db).query<{ marked: number; missing: string[] | null }>(
    `with chosen as (
       select d.id, ${present} as present from "${s}".dead_letters d
        where ${where} and d.status = any ($${n + 1}::text[])),
     marked as (
       update "${s}".dead_letters d set status = $${n + 2}, updated_at = now()
         from chosen c
        where d.id = c.id and d.status = any ($${n + 1}::text[])
          and not exists (select 1 from chosen where not present)
        returning d.id)
     select (select count(*)::integer from marked) as marked,
            array(select id::text from chosen where not present order by id) as missing`,
    [...params, from, to],
  );
  const row = rows[0];
  return {
    marked: row?.marked ?? 0,
    missing: (row?.missing ?? []).map((id) => toNumber(id)),
  };
}

/**
 * Asks the group to deliver these dead letters once more. A running member of the group
 * delivers each within a few poll intervals (out of order: after events that came later);
 * success marks it `redriven`, failure marks it `dead` again with one more attempt. A blocked
 * partition (`onFailure: 'block'`) resumes at the event, in order, with fresh attempts.
 * Returns how many letters were marked.
 *
 * All or nothing: when a selected letter's event no longer exists (deleted outside the bus;
 * `pruneEvents` keeps the event of every `dead` or `redriving` letter), nothing is marked and
 * it throws {@link DeadLetterEventMissingError} listing those ids: discard them, then retry.
 *
 * @example
 * await redriveDeadLetters(db, { group: 'billing' });
 */
export async function redriveDeadLetters(
  db: EventExecutor,
  selection: DeadLetterSelection,
): Promise<number> {
  const { marked, missing } = await setStatus(
    db,
    selection,
    ['dead'],
    'redriving',
    'redriveDeadLetters',
    true,
  );
  if (missing.length > 0) throw new DeadLetterEventMissingError(missing);
  return marked;
}

/**
 * Gives up on these dead letters for good (their event may be gone). A partition blocked at
 * one of them moves past it. Returns how many letters were marked `discarded`.
 */
export async function discardDeadLetters(
  db: EventExecutor,
  selection: DeadLetterSelection,
): Promise<number> {
  const { marked } = await setStatus(
    db,
    selection,
    ['dead', 'redriving'],
    'discarded',
    'discardDeadLetters',
    false,
  );
  return marked;
}

/** Options of {@link resetGroup}. */
export interface ResetGroupOptions extends SchemaOption {
  readonly group: string;
  /** Only this channel of the group (default: every channel it subscribes to). */
  readonly channel?: string;
  /** Where to restart: `'beginning'`, `'now'`, `{ position }` or `{ time }`. */
  readonly to: StartFrom;
}

/**
 * Moves a group's positions (every partition) to `to`, so it re-delivers from there in the
 * original order; other groups are unaffected. Running members are fenced (their lease epoch
 * changes), finish nothing more at the old position, and pick the partitions up again at the
 * new one. Retry counters and blocks of the group are cleared. Returns the new cursor.
 *
 * @example
 * await resetGroup(db, { group: 'search-index', to: { time: new Date('2026-01-01') } });
 */
export async function resetGroup(db: EventExecutor, options: ResetGroupOptions): Promise<string> {
  const o = parseOptions(resetSchema, options, at('resetGroup(db, options)'));
  const { schema: s, group } = o;
  const to = checkStartCursor(o.to);
  const channel = o.channel ?? null;
  const q = toQueryable(db);
  const position = await resolveStartPosition(q, s, to);
  const { rows } = await q.query(
    `with moved as (
       update "${s}".consumer_positions
          set tick_id = $3, seq = $4, lease_owner = null, lease_until = null,
              lease_epoch = lease_epoch + 1, blocked_seq = null, updated_at = now()
        where group_name = $1 and ($2::text is null or channel = $2)
        returning channel),
     cleared as (
       delete from "${s}".consumer_attempts
        where group_name = $1 and ($2::text is null or channel = $2))
     select count(*)::integer as n from moved`,
    [group, channel, position.tick, position.seq],
  );
  if ((rows[0] as { n: number } | undefined)?.n === 0) {
    throw new ConsumerGroupNotFoundError(group, channel ?? undefined);
  }
  return encodeCursor(position);
}

/** Options of {@link pruneEvents}. */
export interface PruneEventsOptions extends SchemaOption {
  /** Delete only events recorded before this time. */
  readonly olderThan: Date;
  /**
   * A group partition whose oldest unprocessed event (any type: its position holds them all
   * back) was recorded more than this many seconds ago is reported in `stalled` (it still
   * holds retention back: it is never advanced silently). A caught-up partition is never
   * reported. Default 86,400.
   */
  readonly lagLimitSeconds?: number;
}

/** A group partition that holds retention back beyond the lag limit. */
export interface StalledGroup {
  readonly group: string;
  readonly channel: string;
  readonly partition: number;
  readonly position: string;
  /** Age in seconds of the tick at its position. */
  readonly lagSeconds: number;
  /** Age in seconds of its oldest unprocessed event (recorded_at): above the lag limit. */
  readonly oldestUnprocessedAgeSeconds: number;
}

/** Result of {@link pruneEvents}. */
export interface PruneResult {
  readonly deletedEvents: number;
  readonly deletedTicks: number;
  readonly stalled: StalledGroup[];
}

/**
 * Deletes events recorded before `olderThan` that every consumer group of their channel has
 * passed (channels without groups: by age alone), and ticks no reader needs any more. The
 * event of a dead letter that is `dead` or `redriving` (any group) is kept until the letter
 * is redriven or discarded, so a redrive always finds it. Groups lagging beyond
 * `lagLimitSeconds` are reported, never advanced.
 *
 * @example
 * const { stalled } = await pruneEvents(db, { olderThan: new Date(Date.now() - 7 * 86_400_000) });
 */
export async function pruneEvents(
  db: EventExecutor,
  options: PruneEventsOptions,
): Promise<PruneResult> {
  const o = parseOptions(pruneSchema, options, at('pruneEvents(db, options)'));
  const { schema: s, olderThan, lagLimitSeconds: lagLimit } = o;
  const q = toQueryable(db);
  // A partition has passed an event when the event's batch is before the position's tick, or
  // is that tick's batch with a seq at or below the position's (DESIGN.md 3). Only the
  // partition that owns the event's key hash counts. The event of an unresolved dead letter
  // stays: a redrive reads it.
  const deleted = await q.query<{ n: number }>(
    `with gone as (
       delete from "${s}".events e
        where e.recorded_at < $1
          and not exists (
            select 1 from "${s}".consumer_positions p
              join "${s}".consumer_groups g on g.group_name = p.group_name and g.channel = p.channel
              left join "${s}".ticks pt on pt.tick_id = p.tick_id
             where p.channel = e.channel
               and (g.partitions = 1 or e.key_hash % g.partitions = p.partition)
               and (pt.tick_id is null
                    or not pg_visible_in_snapshot(e.tx_id, pt.snapshot)
                    or (not pg_visible_in_snapshot(e.tx_id, pt.prev_snapshot) and e.seq > p.seq)))
          and not exists (
            select 1 from "${s}".dead_letters d
             where d.seq = e.seq and d.status in ('dead', 'redriving'))
        returning 1)
     select count(*)::integer as n from gone`,
    [olderThan],
  );
  // A tick is still needed by a group at or after it (and the one before, which bounds the
  // next prune), and the newest one by the ticker.
  const ticks = await q.query<{ n: number }>(
    `with gone as (
       delete from "${s}".ticks t
        where t.created_at < $1
          and t.tick_id < coalesce((select min(tick_id) - 1 from "${s}".consumer_positions), t.tick_id + 1)
          and t.tick_id < (select max(tick_id) from "${s}".ticks)
        returning 1)
     select count(*)::integer as n from gone`,
    [olderThan],
  );
  const stalled = await q.query<{
    group_name: string;
    channel: string;
    partition: number;
    tick_id: unknown;
    seq: unknown;
    lag: number | null;
    oldest_age: number;
  }>(
    `with last as (select tick_id, snapshot from "${s}".ticks order by tick_id desc limit 1)
     select p.group_name, p.channel, p.partition, p.tick_id, p.seq,
            extract(epoch from (now() - pt.created_at))::double precision as lag,
            extract(epoch from (now() - u.oldest))::double precision as oldest_age
       from "${s}".consumer_positions p
       join "${s}".consumer_groups g on g.group_name = p.group_name and g.channel = p.channel
       cross join last
       left join "${s}".ticks pt on pt.tick_id = p.tick_id
       cross join lateral (
         select min(e.recorded_at) as oldest from "${s}".events e
          where ${unprocessedEventSql({ types: false })}) u
      where u.oldest < now() - make_interval(secs => $1::double precision)
      order by 1, 2, 3`,
    [lagLimit],
  );
  return {
    deletedEvents: deleted.rows[0]?.n ?? 0,
    deletedTicks: ticks.rows[0]?.n ?? 0,
    stalled: stalled.rows.map((r) => ({
      group: r.group_name,
      channel: r.channel,
      partition: r.partition,
      position: encodeCursor({ tick: toNumber(r.tick_id), seq: toNumber(r.seq) }),
      lagSeconds: Math.max(0, r.lag ?? r.oldest_age),
      oldestUnprocessedAgeSeconds: Math.max(0, r.oldest_age),
    })),
  };
}
