import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import { type EventExecutor, type Queryable, toNumber, toQueryable } from '../executor.js';
import type { EventBusLogger } from '../logger.js';
import { untraced } from '../observability/tracing.js';
import { at, executorOption, intOption, loggerOption, schemaOption } from '../option-schemas.js';

/** `select <schema>.tick()`: records a tick if anything committed since the last one. */
export function tickSql(schema: string): string {
  return `select "${schema}".tick() as tick_id`;
}

/** The NOTIFY channel `tick()` signals on (payload: the new tick id). */
export function tickChannel(schema: string): string {
  return `${schema}.tick`;
}

/** Options of {@link createTicker}. */
export interface TickerOptions {
  /** Auto-commit executor the ticks run on (a @vsa/common-db Database or a pg pool). */
  readonly db: EventExecutor;
  readonly schema?: string;
  /** Backstop: a tick attempt at least this often while running (default 50 ms). */
  readonly intervalMs?: number;
  readonly logger?: EventBusLogger;
}

/**
 * Takes snapshot ticks (DESIGN.md 3.1, 3.3). Any number of tickers may run against one
 * database: `tick()` serializes itself in SQL and writes nothing when nothing committed.
 */
export interface Ticker {
  /** Takes one tick now (coalesced with one in flight). Resolves with the new tick id or null. */
  tick(): Promise<number | null>;
  /** A commit just happened in this process: tick as soon as possible. Never throws. */
  signal(): void;
  /**
   * Something was published in a transaction whose commit this process cannot observe: poll
   * for its tick at 1, 2, 4, ... ms up to the interval. Never throws.
   */
  watch(): void;
  /** Calls `listener` with each new tick id this ticker records. Returns an unsubscribe. */
  onTick(listener: (tickId: number) => void): () => void;
  /** Starts the backstop timer (idempotent). */
  start(): void;
  /** Stops timers and waits for a tick in flight. */
  stop(): Promise<void>;
  readonly running: boolean;
}

/** The backstop interval range of a ticker, in ms, and its default. @internal */
export const tickIntervalOption: z.ZodType<number, number | undefined> = intOption(
  1,
  60_000,
).default(50);

const tickerOptionsSchema = z.strictObject({
  db: executorOption,
  schema: schemaOption,
  intervalMs: tickIntervalOption,
  logger: loggerOption,
});

/** {@link TickerOptions} parsed, with defaults, `db` made a {@link Queryable}. @internal */
export interface ResolvedTickerOptions {
  readonly db: Queryable;
  readonly schema: string;
  readonly intervalMs: number;
  readonly logger: EventBusLogger | undefined;
}

/**
 * Creates a {@link Ticker}; call `start()` to run the backstop loop.
 *
 * @throws {InvalidArgumentError} `VSA_EVENTS_INVALID_ARGUMENT` for an unknown option or a bad value.
 */
export function createTicker(options: TickerOptions): Ticker {
  const o = parseOptions(tickerOptionsSchema, options, at('createTicker(options)'));
  return tickerFrom({ ...o, db: toQueryable(o.db) });
}

/** A {@link Ticker} from options parsed already (the bus's). @internal */
export function tickerFrom(options: ResolvedTickerOptions): Ticker {
  const { db, schema, intervalMs } = options;
  const sql = tickSql(schema);
  const listeners = new Set<(tickId: number) => void>();
  let inFlight: Promise<number | null> | null = null;
  let again = false;
  let running = false;
  let backstop: NodeJS.Timeout | null = null;
  let watchTimer: NodeJS.Timeout | null = null;
  let watchDelay = 0;

  async function runOnce(): Promise<number | null> {
    const { rows } = await db.query<{ tick_id: unknown }>(sql);
    const raw = rows[0]?.tick_id;
    if (raw === null || raw === undefined) return null;
    const id = toNumber(raw);
    for (const listener of listeners) {
      try {
        listener(id);
      } catch (error) {
        options.logger?.error({ err: error }, 'event bus: tick listener threw');
      }
    }
    return id;
  }

  function tick(): Promise<number | null> {
    if (inFlight !== null) {
      // The running loop checks `again` after its round trip, so it covers this caller too.
      again = true;
      return inFlight;
    }
    // Untraced: a tick is bus housekeeping, not part of the request that signalled it.
    const run = untraced(async () => {
      let last: number | null = null;
      try {
        do {
          again = false;
          last = (await runOnce()) ?? last;
        } while (again);
        return last;
      } finally {
        inFlight = null;
      }
    });
    inFlight = run;
    return run;
  }

  function quietTick(): void {
    tick().catch((error: unknown) => {
      options.logger?.warn({ err: error }, 'event bus: tick failed; retrying on the next signal');
    });
  }

  function scheduleWatch(): void {
    if (watchTimer !== null || watchDelay > intervalMs) return;
    watchTimer = setTimeout(() => {
      watchTimer = null;
      quietTick();
      watchDelay *= 2;
      scheduleWatch();
    }, watchDelay);
    watchTimer.unref();
  }

  return {
    tick,
    signal: quietTick,
    watch() {
      watchDelay = 1;
      if (watchTimer !== null) {
        clearTimeout(watchTimer);
        watchTimer = null;
      }
      scheduleWatch();
    },
    onTick(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    start() {
      if (running) return;
      running = true;
      backstop = setInterval(quietTick, intervalMs);
      backstop.unref();
    },
    async stop() {
      running = false;
      if (backstop !== null) clearInterval(backstop);
      if (watchTimer !== null) clearTimeout(watchTimer);
      backstop = null;
      watchTimer = null;
      watchDelay = intervalMs + 1;
      await inFlight?.catch(() => null);
    },
    get running() {
      return running;
    },
  };
}
