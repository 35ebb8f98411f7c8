import type { Database } from '@vsa/common-db';
import type { Unlisten } from '@vsa/common-db/admin';
import type { EventBusLogger } from '../logger.js';
import { tickChannel } from '../ticker/ticker.js';

/** Wake-ups of one schema, shared by every consumer of one database in this process. @internal */
export interface WakeHub {
  /** Registers a wake-up callback; `listen` asks for the NOTIFY connection. Returns a remover. */
  add(wake: () => void, listen: boolean): Promise<() => Promise<void>>;
  /** Whether the LISTEN registration is active (false: every consumer relies on polling). */
  readonly listening: boolean;
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

  const all = new Set<() => void>();
  const listeners = new Set<() => void>();
  let unlisten: Unlisten | null = null;
  let starting: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;

  const wakeAll = (): void => {
    for (const wake of all) wake();
  };

  function startListening(): Promise<void> {
    starting ??= (async () => {
      try {
        const stop = await db.listen(tickChannel(schema), wakeAll, {
          onReconnect: wakeAll,
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
          await stop?.().catch(() => {});
        }
      };
    },
    get listening() {
      return unlisten !== null;
    },
  };
  bySchema.set(schema, hub);
  return hub;
}
