import type { Database } from '@vsa/common-db';
import type { Unlisten } from '@vsa/common-db/admin';
import type { EventBusLogger } from '../logger.js';
import { tickChannel } from '../ticker/ticker.js';

/** Wake-ups of one schema, shared by every consumer of one database in this process. @internal */
export interface WakeHub {
  /**
   * Registers a wake-up callback; `listen` asks for the NOTIFY connection. Returns a remover.
   * `wake` gets what the new tick holds, or null when that is unknown (wake every partition).
   */
  add(wake: (contents: TickContents | null) => void, listen: boolean): Promise<() => Promise<void>>;
  /** Wakes for a tick this process took (the bus's ticker): once per tick id with the NOTIFY. */
  tick(tickId: number): void;
  /** Whether the LISTEN registration is active (false: every consumer relies on polling). */
  readonly listening: boolean;
  /**
   * The backend pid of the LISTEN connection while it is up (null otherwise): this process's
   * server session, which ends when the process dies. Consumers record it with their heartbeat.
   */
  readonly sessionPid: number | null;
  /** Calls `fn` whenever {@link sessionPid} changes; returns a remover. */
  onSession(fn: (pid: number | null) => void): () => void;
}

/**
 * The key hashes of a tick's events by channel: a consumer group wakes only when its channel
 * is there, and only the partitions those hashes fall in. A superset is harmless (a partition
 * woken for nothing reads an empty page); what must never happen is leaving one out. @internal
 */
export type TickContents = ReadonlyMap<string, readonly number[]>;

/** Above this many (channel, key hash) pairs a tick wakes every partition instead. */
const MAX_TICK_KEYS = 1000;
/** Tick ids already dispatched (the NOTIFY and the in-process ticker report the same tick). */
const SEEN_TICKS = 64;

/**
 * Every event of a tick lies in its [min_seq, max_seq] range (other ticks' events may too: a
 * superset). No row: the tick is unknown here, so the caller wakes everything.
 */
export function tickContentsSql(schema: string): string {
  const s = `"${schema}"`;
  return `select e.channel, e.key_hash from ${s}.ticks t left join lateral (select distinct e.channel, e.key_hash from ${s}.events e where e.seq between t.min_seq and t.max_seq limit ${MAX_TICK_KEYS + 1}) e on true where t.tick_id = $1`;
}

/** Reads what tick `tickId` holds; null when unknown, too large or on any failure. @internal */
export async function readTickContents(
  db: Database<unknown>,
  schema: string,
  tickId: number,
): Promise<TickContents | null> {
  try {
    const { rows } = await db.query<{ channel: string | null; key_hash: number | null }>(
      tickContentsSql(schema),
      [tickId],
    );
    if (rows.length === 0 || rows.length > MAX_TICK_KEYS) return null;
    const contents = new Map<string, number[]>();
    for (const row of rows) {
      if (row.channel === null || row.key_hash === null) continue;
      const hashes = contents.get(row.channel);
      if (hashes === undefined) contents.set(row.channel, [Number(row.key_hash)]);
      else hashes.push(Number(row.key_hash));
    }
    return contents;
  } catch {
    return null;
  }
}

const hubs = new WeakMap<object, Map<string, WakeHub>>();
const RETRY_LISTEN_MS = 5_000;

/**
 * One LISTEN per database and schema per process, however many consumers: a tick's NOTIFY
 * (payload: tick id) is only a hint that wakes them; the listener's reconnect wakes them too,
 * since notifications sent while it was down are lost. When LISTEN fails (PgBouncer in
 * transaction mode), consumers keep polling and the hub retries LISTEN in the background.
 */
export function wakeHub(db: Database<unknown>, schema: string, logger?: EventBusLogger): WakeHub {
  let bySchema = hubs.get(db);
  if (bySchema === undefined) {
    bySchema = new Map();
    hubs.set(db, bySchema);
  }
  const existing = bySchema.get(schema);
  if (existing !== undefined) return existing;

  const all = new Set<(contents: TickContents | null) => void>();
  const listeners = new Set<(contents: TickContents | null) => void>();
  const seen: number[] = [];
  let unlisten: Unlisten | null = null;
  let starting: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let sessionPid: number | null = null;
  const sessionWatchers = new Set<(pid: number | null) => void>();
  const setSession = (pid: number | null): void => {
    if (pid === sessionPid) return;
    sessionPid = pid;
    for (const fn of sessionWatchers) fn(pid);
  };

  const wakeAll = (): void => {
    for (const wake of all) wake(null);
  };

  // One read per tick for every consumer of the process, then each wakes only if it must.
  const onTick = (tickId: number): void => {
    if (!Number.isSafeInteger(tickId) || tickId < 1) {
      wakeAll();
      return;
    }
    if (seen.includes(tickId)) return;
    seen.push(tickId);
    if (seen.length > SEEN_TICKS) seen.shift();
    void readTickContents(db, schema, tickId).then((contents) => {
      for (const wake of all) wake(contents);
    });
  };

  function startListening(): Promise<void> {
    starting ??= (async () => {
      try {
        const stop = await db.listen(tickChannel(schema), (payload) => onTick(Number(payload)), {
          onReconnect: wakeAll,
          onSession: setSession,
          onError: (err) =>
            logger?.warn(
              { err },
              'event consumers: LISTEN connection lost; polling until it is back',
            ),
        });
        if (listeners.size === 0) await stop();
        else unlisten = stop;
      } catch (err) {
        logger?.warn(
          { err },
          'event consumers: LISTEN failed; polling only (retrying LISTEN in the background)',
        );
        retryTimer = setTimeout(() => {
          retryTimer = null;
          if (listeners.size > 0 && unlisten === null) void startListening();
        }, RETRY_LISTEN_MS);
        retryTimer.unref();
      } finally {
        starting = null;
      }
      // Anything published while LISTEN was being set up must not wait for the poll.
      wakeAll();
    })();
    return starting;
  }

  const hub: WakeHub = {
    async add(wake, listen) {
      all.add(wake);
      if (listen) {
        listeners.add(wake);
        if (unlisten === null && starting === null && retryTimer === null) await startListening();
        else if (starting !== null) await starting;
      }
      return async () => {
        all.delete(wake);
        listeners.delete(wake);
        if (listeners.size === 0) {
          if (retryTimer !== null) clearTimeout(retryTimer);
          retryTimer = null;
          await starting;
          const stop = unlisten;
          unlisten = null;
          setSession(null);
          await stop?.().catch(() => {});
        }
      };
    },
    tick: onTick,
    get listening() {
      return unlisten !== null;
    },
    get sessionPid() {
      return sessionPid;
    },
    onSession(fn) {
      sessionWatchers.add(fn);
      return () => sessionWatchers.delete(fn);
    },
  };
  bySchema.set(schema, hub);
  return hub;
}
