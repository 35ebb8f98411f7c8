import { ConflictError } from '@vsa/common-errors';
import { InvalidArgumentError } from '../errors.js';
import { type EventExecutor, toNumber, toQueryable } from '../executor.js';
import { encodeCursor } from '../read/cursor.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../schema-name.js';
import { DEAD_LETTER_EVENT_MISSING, unprocessedEventSql } from './consumer-sql.js';
import { ConsumerGroupNotFoundError } from './errors.js';
import { type StartFrom, validateName, validateStartFrom } from './options.js';
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

const STATUSES: readonly DeadLetterStatus[] = ['dead', 'redriving', 'redriven', 'discarded'];

function schemaOf(options: SchemaOption | undefined): string {
  return validateSchemaName(options?.schema ?? DEFAULT_SCHEMA);
}

function requireObject(what: string, value: unknown, shape: string): void {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${what} takes ${shape}, got ${String(value)}.`);
  }
}

/** `value` checked as a group/channel name when given, else null (no filter). */
function optionalName(what: string, value: unknown): string | null {
  return value === undefined ? null : validateName(what, value);
}

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
  requireObject(
    'listDeadLetters',
    options,
    '{ group?, channel?, status?, limit?, afterId?, schema? }',
  );
  const s = schemaOf(options);
  const group = optionalName('listDeadLetters: group', options.group);
  const channel = optionalName('listDeadLetters: channel', options.channel);
  const status = options.status ?? 'dead';
  if (!STATUSES.includes(status)) {
    throw new InvalidArgumentError(
      `listDeadLetters: status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}.`,
    );
  }
  const limit = options.limit ?? 100;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidArgumentError(
      `listDeadLetters: limit must be an integer from 1 to 10000, got ${String(limit)}.`,
    );
  }
  const afterId = options.afterId ?? 0;
  if (typeof afterId !== 'number' || !Number.isSafeInteger(afterId) || afterId < 0) {
    throw new InvalidArgumentError(
      `listDeadLetters: afterId must be a dead letter id (an integer >= 0), got ${JSON.stringify(afterId)}.`,
    );
  }
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

/** A checked {@link DeadLetterSelection}: the SQL condition on `d` and its parameters. */
function selectionFilter(
  what: string,
  selection: DeadLetterSelection,
): { readonly where: string; readonly params: unknown[] } {
  requireObject(what, selection, '{ ids } or { group, channel? }');
  const { ids, group, channel } = selection as {
    ids?: unknown;
    group?: unknown;
    channel?: unknown;
  };
  if (ids !== undefined) {
    if (group !== undefined || channel !== undefined) {
      throw new InvalidArgumentError(
        `${what} takes { ids } or { group, channel? }, not both: drop ids or group.`,
      );
    }
    if (
      !Array.isArray(ids) ||
      ids.some((id) => typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
    ) {
      throw new InvalidArgumentError(
        `${what}: ids must be an array of dead letter ids (integers >= 1), got ${JSON.stringify(ids)}.`,
      );
    }
    return { where: 'd.id = any ($1::bigint[])', params: [ids] };
  }
  if (group === undefined) {
    throw new InvalidArgumentError(`${what} takes { ids } or { group, channel? }: give one.`);
  }
  return {
    where: 'd.group_name = $1 and ($2::text is null or d.channel = $2)',
    params: [validateName(`${what}: group`, group), optionalName(`${what}: channel`, channel)],
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
  const { where, params } = selectionFilter(what, selection);
  const s = schemaOf(selection);
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
  requireObject('resetGroup', options, '{ group, channel?, to, schema? }');
  const s = schemaOf(options);
  const group = validateName('resetGroup: group', options.group);
  const channel = optionalName('resetGroup: channel', options.channel);
  const to = validateStartFrom(options.to, 'resetGroup: to');
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
  requireObject('pruneEvents', options, '{ olderThan, lagLimitSeconds?, schema? }');
  const s = schemaOf(options);
  if (!(options.olderThan instanceof Date) || Number.isNaN(options.olderThan.getTime())) {
    throw new InvalidArgumentError(
      `pruneEvents: olderThan must be a valid Date, got ${JSON.stringify(options.olderThan)}.`,
    );
  }
  const lagLimit = options.lagLimitSeconds ?? 86_400;
  if (typeof lagLimit !== 'number' || !Number.isFinite(lagLimit) || lagLimit < 0) {
    throw new InvalidArgumentError(
      `pruneEvents: lagLimitSeconds must be a number >= 0, got ${JSON.stringify(lagLimit)}.`,
    );
  }
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
    [options.olderThan],
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
    [options.olderThan],
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
