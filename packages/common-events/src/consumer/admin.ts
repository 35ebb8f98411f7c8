import { InvalidArgumentError } from '../errors.js';
import { type EventExecutor, toNumber, toQueryable } from '../executor.js';
import { encodeCursor } from '../read/cursor.js';
import { DEFAULT_SCHEMA, validateSchemaName } from '../schema-name.js';
import { ConsumerGroupNotFoundError } from './errors.js';
import { type StartFrom, validateStartFrom } from './options.js';
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

function schemaOf(options: SchemaOption | undefined): string {
  return validateSchemaName(options?.schema ?? DEFAULT_SCHEMA);
}

function requireObject(what: string, value: unknown): void {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError(`${what} takes an options object.`);
  }
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
  requireObject('listDeadLetters', options);
  const s = schemaOf(options);
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidArgumentError(
      `limit must be an integer from 1 to 10000, got ${String(limit)}.`,
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
    [
      options.group ?? null,
      options.channel ?? null,
      options.status ?? 'dead',
      options.afterId ?? 0,
      limit,
    ],
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

async function setStatus(
  db: EventExecutor,
  selection: DeadLetterSelection,
  from: readonly DeadLetterStatus[],
  to: DeadLetterStatus,
  what: string,
): Promise<number> {
  requireObject(what, selection);
  const s = schemaOf(selection);
  const q = toQueryable(db);
  if ('ids' in selection) {
    const ids = selection.ids;
    if (!Array.isArray(ids) || ids.some((id) => !Number.isSafeInteger(id))) {
      throw new InvalidArgumentError(`${what}: ids must be an array of dead letter ids.`);
    }
    const { rows } = await q.query(
      `update "${s}".dead_letters set status = $2, updated_at = now()
        where id = any ($1::bigint[]) and status = any ($3::text[]) returning id`,
      [ids, to, from],
    );
    return rows.length;
  }
  if (typeof selection.group !== 'string' || selection.group === '') {
    throw new InvalidArgumentError(`${what} takes { ids } or { group, channel? }.`);
  }
  const { rows } = await q.query(
    `update "${s}".dead_letters set status = $3, updated_at = now()
      where group_name = $1 and ($2::text is null or channel = $2) and status = any ($4::text[])
      returning id`,
    [selection.group, selection.channel ?? null, to, from],
  );
  return rows.length;
}

/**
 * Asks the group to deliver these dead letters once more. A running member of the group
 * delivers each within a few poll intervals (out of order: after events that came later);
 * success marks it `redriven`, failure marks it `dead` again with one more attempt. A blocked
 * partition (`onFailure: 'block'`) resumes at the event, in order, with fresh attempts.
 * Returns how many letters were marked.
 */
export function redriveDeadLetters(
  db: EventExecutor,
  selection: DeadLetterSelection,
): Promise<number> {
  return setStatus(db, selection, ['dead'], 'redriving', 'redriveDeadLetters');
}

/**
 * Gives up on these dead letters for good. A partition blocked at one of them moves past it.
 * Returns how many letters were marked `discarded`.
 */
export function discardDeadLetters(
  db: EventExecutor,
  selection: DeadLetterSelection,
): Promise<number> {
  return setStatus(db, selection, ['dead', 'redriving'], 'discarded', 'discardDeadLetters');
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
  requireObject('resetGroup', options);
  const s = schemaOf(options);
  if (typeof options.group !== 'string' || options.group === '') {
    throw new InvalidArgumentError('resetGroup: group must be a non-empty string.');
  }
  const to = validateStartFrom(options.to, 'to');
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
    [options.group, options.channel ?? null, position.tick, position.seq],
  );
  if ((rows[0] as { n: number } | undefined)?.n === 0) {
    throw new ConsumerGroupNotFoundError(options.group, options.channel);
  }
  return encodeCursor(position);
}

/** Options of {@link pruneEvents}. */
export interface PruneEventsOptions extends SchemaOption {
  /** Delete only events recorded before this time. */
  readonly olderThan: Date;
  /**
   * A group whose oldest unprocessed event is older than this many seconds is reported in
   * `stalled` (it still holds retention back: it is never advanced silently). Default 86,400.
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
}

/** Result of {@link pruneEvents}. */
export interface PruneResult {
  readonly deletedEvents: number;
  readonly deletedTicks: number;
  readonly stalled: StalledGroup[];
}

/**
 * Deletes events recorded before `olderThan` that every consumer group of their channel has
 * passed (channels without groups: by age alone), and ticks no reader needs any more. Groups
 * lagging beyond `lagLimitSeconds` are reported, never advanced.
 */
export async function pruneEvents(
  db: EventExecutor,
  options: PruneEventsOptions,
): Promise<PruneResult> {
  requireObject('pruneEvents', options);
  const s = schemaOf(options);
  if (!(options.olderThan instanceof Date) || Number.isNaN(options.olderThan.getTime())) {
    throw new InvalidArgumentError('pruneEvents: olderThan must be a valid Date.');
  }
  const lagLimit = options.lagLimitSeconds ?? 86_400;
  if (!Number.isFinite(lagLimit) || lagLimit < 0) {
    throw new InvalidArgumentError('pruneEvents: lagLimitSeconds must be a number >= 0.');
  }
  const q = toQueryable(db);
  // A partition has passed an event when the event's batch is before the position's tick, or
  // is that tick's batch with a seq at or below the position's (DESIGN.md 3). Only the
  // partition that owns the event's key hash counts.
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
    lag: number;
  }>(
    `select p.group_name, p.channel, p.partition, p.tick_id, p.seq,
            extract(epoch from (now() - t.created_at))::double precision as lag
       from "${s}".consumer_positions p
       join "${s}".ticks t on t.tick_id = p.tick_id
      where t.tick_id < (select max(tick_id) from "${s}".ticks)
        and now() - t.created_at > make_interval(secs => $1::double precision)
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
      lagSeconds: r.lag,
    })),
  };
}
