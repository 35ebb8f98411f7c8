import { parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import type { EventCatalog } from '../catalog/define-catalog.js';
import type { EventEnvelope, PublishedEvent } from '../envelope.js';
import { EventBufferClosedError, EventBufferFlushError, InvalidArgumentError } from '../errors.js';
import { type EventExecutor, toQueryable } from '../executor.js';
import { keyHash } from '../ids.js';
import { countPublished, type EventBusMetrics, metricsOption } from '../observability/metrics.js';
import {
  at,
  catalogOption,
  executorOption,
  functionOption,
  intOption,
  schemaOption,
} from '../option-schemas.js';
import { insertEvents, prepareEvents } from './publish-event.js';

/** Options of {@link createEventBuffer}. */
export interface EventBufferOptions {
  /** Auto-commit executor (a @vsa/common-db Database, a pg pool): each batch is one statement. */
  readonly db: EventExecutor;
  readonly schema?: string;
  /** Validate against this catalog at `publish()` (before buffering). */
  readonly catalog?: EventCatalog;
  /** Most events per statement (default 1000). */
  readonly maxBatch?: number;
  /**
   * Longest an event waits for more to join its batch (default 1 ms; 0 = next tick). Under
   * load batches also fill while the previous one is being written.
   */
  readonly maxDelayMs?: number;
  /** Most events held in memory; `publish()` waits while full (default 20,000). */
  readonly maxPending?: number;
  /** Called after each batch committed (the bus uses it to take a tick at once). */
  readonly onCommit?: (published: readonly PublishedEvent[]) => void;
  /**
   * Independent writers (connections) events are spread over by key hash (default 1). With 1,
   * every event of a publisher is stored in publish order. With more, throughput grows with
   * the database's cores, and order is kept per key (what consumers rely on) but not across
   * keys. `maxPending` is shared out between the lanes.
   */
  readonly lanes?: number;
  /**
   * Where to report each batch written (`bufferFlushed`: size, seconds, ok) and the events
   * published (`published`, after commit). See `EventBusMetrics`.
   */
  readonly metrics?: EventBusMetrics;
}

/** Batches events written outside a business transaction. */
export interface EventBuffer {
  /**
   * Queues events; resolves once they are durable (committed), with what `publishEvent`
   * returns. Validation errors reject at once, before buffering. Waits while the buffer is
   * full. Rejects with `VSA_EVENTS_FLUSH_FAILED` (events on `error.events`) if their batch fails.
   */
  publish(event: EventEnvelope): Promise<PublishedEvent>;
  publish(events: readonly EventEnvelope[]): Promise<PublishedEvent[]>;
  /**
   * Writes everything published before this call; resolves when it is durable. Rejects with
   * the first batch error (the events' own promises reject too).
   */
  flush(): Promise<void>;
  /** Stops accepting events, flushes, resolves when done (call on shutdown). */
  close(): Promise<void>;
  /** Events accepted and not yet settled: queued, in flight, or waiting for room. */
  readonly pending: number;
  /** Where the pending events are: `queued + inFlight` is what the buffer holds in memory. */
  readonly stats: { readonly queued: number; readonly inFlight: number; readonly waiting: number };
  readonly closed: boolean;
}

interface Entry {
  readonly event: EventEnvelope;
  readonly group: Group;
  readonly index: number;
  readonly no: number;
}

interface Group {
  readonly results: PublishedEvent[];
  remaining: number;
  failed: EventEnvelope[];
  error: unknown;
  readonly single: boolean;
  resolve(value: PublishedEvent | PublishedEvent[]): void;
  reject(error: unknown): void;
}

interface Waiter {
  readonly entries: Entry[];
  readonly admit: () => void;
}

interface FlushWaiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  error: unknown;
}

/** The buffer's tuning options, which `createEventBus({ buffer })` takes too. */
export type EventBufferTuning = Pick<
  EventBufferOptions,
  'maxBatch' | 'maxDelayMs' | 'maxPending' | 'lanes'
>;

/** {@link EventBufferTuning} parsed, with defaults. @internal */
export type ResolvedBufferTuning = Required<EventBufferTuning>;

const tuningShape = {
  maxBatch: intOption(1, 10_000).default(1000),
  maxDelayMs: intOption(0, 60_000).default(1),
  maxPending: intOption(1, 10_000_000).default(20_000),
  lanes: intOption(1, 64).default(1),
};

const roomForABatch = {
  message: 'must be at least maxBatch (room for one whole batch)',
  path: ['maxPending'],
};

/** `createEventBus({ buffer })`: the tuning options alone, defaults filled in. @internal */
export const bufferTuningSchema: z.ZodType<ResolvedBufferTuning, EventBufferTuning | undefined> = z
  .strictObject(tuningShape)
  .refine((o) => o.maxPending >= o.maxBatch, roomForABatch)
  // zod's input type spells optional keys `?: T | undefined`; the public type `?: T`.
  .prefault({}) as unknown as z.ZodType<ResolvedBufferTuning, EventBufferTuning | undefined>;

const bufferOptionsSchema = z
  .strictObject({
    db: executorOption,
    schema: schemaOption,
    catalog: catalogOption.optional(),
    onCommit:
      functionOption<(published: readonly PublishedEvent[]) => void>(
        '(published) => void',
      ).optional(),
    metrics: metricsOption,
    ...tuningShape,
  })
  .refine((o) => o.maxPending >= o.maxBatch, roomForABatch);

/** {@link EventBufferOptions} parsed, with defaults. @internal */
export interface ResolvedBufferOptions extends ResolvedBufferTuning {
  readonly db: EventExecutor;
  readonly schema: string;
  readonly catalog: EventCatalog | undefined;
  readonly onCommit: ((published: readonly PublishedEvent[]) => void) | undefined;
  readonly metrics: EventBusMetrics | undefined;
}

/**
 * A publisher for events outside a business transaction (fire-and-forget with a durable
 * acknowledgement): events are written in batches by size or time, one batch at a time, so
 * the events of one publisher are stored in the order published. Memory is bounded by
 * `maxPending`; a database error rejects the affected callers with their events, nothing is
 * dropped silently.
 *
 * @example
 * const buffer = createEventBuffer({ db, maxBatch: 1000, maxDelayMs: 1 });
 * await buffer.publish(PageViewed.create({ path: '/' }));
 * await buffer.close(); // on shutdown
 */
export function createEventBuffer(options: EventBufferOptions): EventBuffer {
  const o = parseOptions(bufferOptionsSchema, options, at('createEventBuffer(options)'));
  return bufferFrom({ ...o, catalog: o.catalog, onCommit: o.onCommit, metrics: o.metrics });
}

/** An {@link EventBuffer} from options parsed already (the bus's). @internal */
export function bufferFrom(options: ResolvedBufferOptions): EventBuffer {
  toQueryable(options.db); // refuses an unsupported executor now, not at the first batch
  return options.lanes === 1 ? createLane(options) : createLanes(options, options.lanes);
}

/** One writer: one batch in flight at a time, so publish order is storage order. */
function createLane(options: ResolvedBufferOptions): EventBuffer {
  const { db, schema, maxBatch, maxDelayMs, maxPending, catalog, metrics } = options;

  const queue: Entry[] = [];
  let head = 0; // queue[head..] are waiting; compacted lazily
  // FIFO of calls waiting for room; `waitHead` instead of shift() keeps admission O(1).
  let waiters: Waiter[] = [];
  let waitHead = 0;
  let waitingEvents = 0;
  const flushWaiters: FlushWaiter[] = [];
  let nextNo = 1;
  let settledNo = 0; // every entry with no <= settledNo is committed or failed
  let inFlight = 0;
  let writing = false;
  let timer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let oldestAt = 0;
  let forceUpTo = 0;
  let closed = false;

  const queued = (): number => queue.length - head;

  function admitWaiters(): void {
    while (waitHead < waiters.length) {
      const w = waiters[waitHead] as Waiter;
      if (queued() + w.entries.length > maxPending && queued() > 0) break;
      waiters[waitHead] = undefined as unknown as Waiter;
      waitHead++;
      waitingEvents -= w.entries.length;
      w.admit();
    }
    if (waitHead === waiters.length) {
      waiters = [];
      waitHead = 0;
    } else if (waitHead > 4096 && waitHead * 2 > waiters.length) {
      waiters = waiters.slice(waitHead);
      waitHead = 0;
    }
  }

  function enqueue(entries: Entry[]): void {
    if (queued() === 0) oldestAt = performance.now();
    for (const e of entries) queue.push(e);
    schedule();
  }

  function schedule(): void {
    if (writing) return;
    const n = queued();
    if (n === 0) return;
    if (n >= maxBatch || forceUpTo > settledNo) {
      startWrite();
      return;
    }
    if (maxDelayMs === 0) {
      immediate ??= setImmediate(() => {
        immediate = null;
        startWrite();
      });
      return;
    }
    if (timer === null) {
      const wait = Math.max(0, maxDelayMs - (performance.now() - oldestAt));
      timer = setTimeout(() => {
        timer = null;
        startWrite();
      }, wait);
    }
  }

  function settle(entry: Entry, result: PublishedEvent | null, error: unknown): void {
    const g = entry.group;
    if (result !== null) g.results[entry.index] = result;
    else {
      g.failed.push(entry.event);
      g.error ??= error;
    }
    g.remaining--;
    if (g.remaining === 0) {
      if (g.failed.length > 0) g.reject(new EventBufferFlushError(g.failed, g.error));
      else g.resolve(g.single ? (g.results[0] as PublishedEvent) : g.results);
    }
  }

  function startWrite(): void {
    if (writing || queued() === 0) return;
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    writing = true;
    const batch = queue.slice(head, head + maxBatch);
    head += batch.length;
    if (head > 4096 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (queued() > 0) oldestAt = performance.now();
    inFlight = batch.length;
    admitWaiters();
    void write(batch);
  }

  async function write(batch: Entry[]): Promise<void> {
    let published: PublishedEvent[] | null = null;
    let failure: unknown = null;
    const started = metrics === undefined ? 0 : performance.now();
    try {
      published = await insertEvents(
        db,
        schema,
        batch.map((e) => e.event),
        false,
      );
    } catch (error) {
      failure = error;
    }
    const lastNo = (batch[batch.length - 1] as Entry).no;
    if (metrics !== undefined) {
      try {
        metrics.bufferFlushed?.(
          batch.length,
          (performance.now() - started) / 1000,
          published !== null,
        );
        if (published !== null) countPublished(metrics, published);
      } catch {
        // A faulty recorder must not fail published events.
      }
    }
    if (published !== null) {
      for (let i = 0; i < batch.length; i++)
        settle(batch[i] as Entry, published[i] as PublishedEvent, null);
      try {
        options.onCommit?.(published);
      } catch {
        // A faulty hook must not fail published events.
      }
    } else {
      const error = new EventBufferFlushError(
        batch.map((e) => e.event),
        failure,
      );
      for (const entry of batch) settle(entry, null, failure);
      for (const f of flushWaiters) f.error ??= error;
    }
    settledNo = lastNo;
    inFlight = 0;
    writing = false;
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      const f = flushWaiters[i] as FlushWaiter;
      if (f.upTo <= settledNo) {
        flushWaiters.splice(i, 1);
        if (f.error === undefined || f.error === null) f.resolve();
        else f.reject(f.error);
      }
    }
    schedule();
  }

  function publish(
    input: EventEnvelope | readonly EventEnvelope[],
  ): Promise<PublishedEvent | PublishedEvent[]> {
    return new Promise<PublishedEvent | PublishedEvent[]>((resolve, reject) => {
      if (closed) throw new EventBufferClosedError();
      const prepared = prepareEvents(input, catalog);
      if (prepared.length > maxPending) {
        throw new InvalidArgumentError(
          `${prepared.length} events exceed maxPending (${maxPending}): publish fewer at once or raise maxPending.`,
        );
      }
      const single = !Array.isArray(input);
      if (prepared.length === 0) {
        resolve([]);
        return;
      }
      const group: Group = {
        results: new Array(prepared.length),
        remaining: prepared.length,
        failed: [],
        error: null,
        single,
        resolve,
        reject,
      };
      const entries = prepared.map((event, index) => ({ event, group, index, no: nextNo++ }));
      // FIFO: a call never overtakes an earlier one that is waiting for room.
      if (waitHead === waiters.length && queued() + entries.length <= maxPending) enqueue(entries);
      else {
        waiters.push({ entries, admit: () => enqueue(entries) });
        waitingEvents += entries.length;
      }
    });
  }

  function flush(): Promise<void> {
    const upTo = nextNo - 1;
    if (upTo <= settledNo) return Promise.resolve();
    forceUpTo = Math.max(forceUpTo, upTo);
    return new Promise<void>((resolve, reject) => {
      flushWaiters.push({ upTo, resolve, reject, error: null });
      schedule();
      if (immediate !== null) {
        clearImmediate(immediate);
        immediate = null;
        startWrite();
      }
    });
  }

  return {
    publish: publish as EventBuffer['publish'],
    flush,
    async close() {
      closed = true;
      await flush();
    },
    get pending() {
      return queued() + inFlight + waitingEvents;
    },
    get stats() {
      return {
        queued: queued(),
        inFlight,
        waiting: waitingEvents,
      };
    },
    get closed() {
      return closed;
    },
  };
}

/** `lanes` single-writer buffers; events go to `keyHash(key ?? id) % lanes`. */
function createLanes(options: ResolvedBufferOptions, count: number): EventBuffer {
  const perLane = Math.max(options.maxBatch, Math.ceil(options.maxPending / count));
  const lanes = Array.from({ length: count }, () =>
    createLane({ ...options, maxPending: perLane }),
  );
  const catalog = options.catalog;
  let closed = false;
  // Same hash as the stored key_hash, so one key always lands in one lane. Invalid events
  // still pick a lane (that lane's validation rejects them).
  const laneOf = (e: EventEnvelope): EventBuffer =>
    lanes[keyHash(typeof e.key === 'string' ? e.key : String(e.id)) % count] as EventBuffer;

  async function publishMany(input: readonly EventEnvelope[]): Promise<PublishedEvent[]> {
    // Validate everything before any lane queues anything.
    const prepared = prepareEvents(input, catalog);
    const parts = new Map<EventBuffer, { events: EventEnvelope[]; at: number[] }>();
    prepared.forEach((e, i) => {
      const lane = laneOf(e);
      let part = parts.get(lane);
      if (part === undefined) {
        part = { events: [], at: [] };
        parts.set(lane, part);
      }
      part.events.push(e);
      part.at.push(i);
    });
    const settled = await Promise.allSettled(
      [...parts].map(([lane, part]) => lane.publish(part.events)),
    );
    const out: PublishedEvent[] = new Array(prepared.length);
    const failed: EventEnvelope[] = [];
    let cause: unknown;
    [...parts.values()].forEach((part, k) => {
      const result = settled[k] as PromiseSettledResult<PublishedEvent[]>;
      if (result.status === 'fulfilled') {
        result.value.forEach((p, j) => {
          out[part.at[j] as number] = p;
        });
      } else {
        failed.push(...part.events);
        cause ??=
          result.reason instanceof EventBufferFlushError ? result.reason.cause : result.reason;
      }
    });
    if (failed.length > 0) throw new EventBufferFlushError(failed, cause);
    return out;
  }

  async function settleAll(run: (lane: EventBuffer) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(lanes.map(run));
    const failure = results.find((r) => r.status === 'rejected');
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
  }

  return {
    publish: ((input: EventEnvelope | readonly EventEnvelope[]) => {
      if (closed) return Promise.reject(new EventBufferClosedError());
      if (!Array.isArray(input)) {
        const e = input as EventEnvelope;
        return typeof e === 'object' && e !== null
          ? laneOf(e).publish(e)
          : Promise.reject(
              new InvalidArgumentError('publish takes an event or an array of events.'),
            );
      }
      return publishMany(input);
    }) as EventBuffer['publish'],
    flush: () => settleAll((lane) => lane.flush()),
    async close() {
      closed = true;
      await settleAll((lane) => lane.close());
    },
    get pending() {
      return lanes.reduce((n, lane) => n + lane.pending, 0);
    },
    get stats() {
      return lanes.reduce(
        (sum, lane) => ({
          queued: sum.queued + lane.stats.queued,
          inFlight: sum.inFlight + lane.stats.inFlight,
          waiting: sum.waiting + lane.stats.waiting,
        }),
        { queued: 0, inFlight: 0, waiting: 0 },
      );
    },
    get closed() {
      return closed;
    },
  };
}

/**
 * Writes every event published to `buffer` so far; resolves when durable. The seed's
 * `flush_event_buffer()`.
 */
export function flushEventBuffer(buffer: EventBuffer): Promise<void> {
  if (typeof buffer !== 'object' || buffer === null || typeof buffer.flush !== 'function') {
    throw new InvalidArgumentError(
      'flushEventBuffer takes an EventBuffer from createEventBuffer().',
    );
  }
  return buffer.flush();
}
