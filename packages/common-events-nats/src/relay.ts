import { hostname } from 'node:os';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { parseOptions } from '@vsa/common-errors';
import { type EventBus, getEventsByChannel, type StoredEvent } from '@vsa/common-events';
import {
  decodeCursor,
  type EventBusLogger,
  externalGroupSql,
  type Ticker,
  tickChannel,
} from '@vsa/common-events/admin';
import { z } from 'zod';
import {
  INVALID_ARGUMENT_CODE,
  RelayGroupConflictError,
  RelayStreamMismatchError,
} from './errors.js';
import { encodeEvent, subjectOf } from './message.js';
import { relayMigrations } from './migrations.js';
import { type StreamSettings, streamSettingsSchema } from './settings.js';
import { ensureStream } from './stream.js';

/** The part of `@vsa/common-events`' bus the relay reads through (its public API only). */
export interface RelayBus {
  readonly db: EventBus['db'];
  readonly schema: string;
  /** Whether the bus's ticker runs in this process (else the relay takes ticks itself). */
  readonly ticker: Pick<Ticker, 'running'>;
}

const optionsSchema: z.ZodType<ResolvedRelayOptions> = z.strictObject({
  bus: z.custom<RelayBus>(
    (v) => typeof v === 'object' && v !== null && 'db' in v && 'schema' in v,
    'expected the event bus from createEventBus',
  ),
  nc: z.custom<NatsConnection>(
    (v) => typeof v === 'object' && v !== null && 'publish' in v,
    'expected a NatsConnection from connect()',
  ),
  channel: z
    .string()
    .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'a bus channel usable as subject tokens'),
  stream: streamSettingsSchema,
  name: z
    .string()
    .regex(
      /^[\w.:@/-]{1,189}$/,
      'must be 1-189 characters of letters, digits, _ . : @ / - (it names a bus consumer group)',
    )
    .optional(),
  maxInFlight: z.int().min(1).max(10_000).default(256),
  batchSize: z.int().min(1).max(10_000).default(1000),
  pollIntervalMs: z.int().min(10).max(600_000).default(500),
  publishTimeoutMs: z.int().min(100).max(600_000).default(5000),
  retry: z
    .strictObject({ initialMs: z.int().min(1).default(100), maxMs: z.int().min(1).default(5000) })
    .default({ initialMs: 100, maxMs: 5000 }),
  relaySchema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/)
    .optional(),
  logger: z.custom<EventBusLogger>((v) => typeof v === 'object' && v !== null).optional(),
});

/** Options of {@link createRelay}. */
export interface RelayOptions {
  /** The bus from `createEventBus` (its db, schema and ticker are read). */
  readonly bus: RelayBus;
  /** A connection from `@nats-io/transport-node`'s `connect()`. */
  readonly nc: NatsConnection;
  /** The bus channel to relay; its name becomes subject tokens. */
  readonly channel: string;
  /** The stream (created or checked at start); give each relay a stream of its own. */
  readonly stream: Partial<StreamSettings> & { readonly name: string };
  /**
   * Name of the relay (default: the stream's name): its cursor row, and its consumer group
   * on the bus, `nats-relay:<name>`. Letters, digits and `_ . : @ / -`.
   */
  readonly name?: string;
  /** Publishes awaiting their acknowledgement at once (default 256). */
  readonly maxInFlight?: number;
  /** Events per read of the channel and per cursor commit (default 1000). */
  readonly batchSize?: number;
  /** Polling backstop in ms when no tick NOTIFY arrives (default 500). */
  readonly pollIntervalMs?: number;
  /** How long one publish waits for its acknowledgement (default 5000). */
  readonly publishTimeoutMs?: number;
  /** Backoff between failed attempts (defaults 100 ms doubling up to 5000 ms). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Schema of the relay's cursor table (default `<bus schema>_nats`). */
  readonly relaySchema?: string;
  readonly logger?: EventBusLogger;
}

interface ResolvedRelayOptions {
  readonly bus: RelayBus;
  readonly nc: NatsConnection;
  readonly channel: string;
  readonly stream: StreamSettings;
  readonly name?: string | undefined;
  readonly maxInFlight: number;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly publishTimeoutMs: number;
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
  readonly relaySchema?: string | undefined;
  readonly logger?: EventBusLogger | undefined;
}

/** What {@link Relay.status} reports. */
export interface RelayStatus {
  readonly name: string;
  /** The relay's consumer group on the bus (`nats-relay:<name>`), listed by the bus's status. */
  readonly group: string;
  readonly channel: string;
  readonly stream: string;
  readonly running: boolean;
  /** `false` after a failed NATS call, until a publish or reconcile succeeds again. */
  readonly healthy: boolean;
  /** Bus position of the last event JetStream acknowledged (`null`: none yet). */
  readonly position: string | null;
  /** Stream sequence of that event. */
  readonly streamSeq: number;
  /** Events acknowledged by JetStream since this process started. */
  readonly relayed: number;
  /** Committed events of the channel not yet relayed (by insert position: an estimate). */
  readonly pending: number;
  /** Age in ms of the oldest of those events (0 when none). */
  readonly lagMs: number;
  /** Failures in a row (reset by the next success). */
  readonly failures: number;
  readonly lastError: string | null;
}

/** A running relay from one bus channel into one JetStream stream. */
export interface Relay {
  /**
   * Creates the relay's cursor table and registers its consumer group on the bus (both
   * idempotent; the bus must be installed). `start` calls it.
   */
  install(): Promise<void>;
  /** Checks or creates the stream, then relays in the background until `stop`. */
  start(): Promise<void>;
  /** Waits for the page in flight and stops. Idempotent. */
  stop(): Promise<void>;
  status(): Promise<RelayStatus>;
}

interface RelayState {
  running: boolean;
  reconciled: boolean;
  /** Reconciled once in this process: `passed` is known (else the group is not written). */
  known: boolean;
  healthy: boolean;
  /** Message id (bus position) of the stream's last message, as JetStream acknowledged it. */
  lastMsgId: string | null;
  streamSeq: number;
  /** Where the next read of the channel starts. */
  readCursor: string | null;
  /** Bus position up to which every event of the channel is in the stream (the group's). */
  passed: string | null;
  /** When the group's position and lease were last written (epoch ms). */
  committedAt: number;
  relayed: number;
  failures: number;
  lastError: string | null;
  wake: (() => void) | null;
  loop: Promise<void> | null;
  unlisten: (() => Promise<void>) | null;
}

interface Resolved extends ResolvedRelayOptions {
  readonly relayName: string;
  readonly cursorTable: string;
  /** The relay's consumer group on the bus. */
  readonly group: string;
  /** This process in the group's lease owner column. */
  readonly memberId: string;
  readonly commitSql: string;
  readonly js: JetStreamClient;
}

/** How long the group's lease says this process runs the relay, from each write. */
const LEASE_MS = 30_000;
/** An idle or failing relay renews its lease (and moves its position past empty ticks) this often. */
const RENEW_MS = 10_000;

const POSITION = /^\d{1,15}:\d{1,15}$/;

function seqOf(position: string | null): number {
  return position === null ? 0 : Number(position.split(':')[1]);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The commit statement: the cursor row (when the stream holds a relayed message) and the
 * group's position and lease, in one statement, so both move together or not at all.
 */
function commitStatement(cursorTable: string, advance: string): string {
  return `with cursor as (
       insert into ${cursorTable} (relay, channel, stream, position, stream_seq)
       select $7::text, $2::text, $8::text, $9::text, $10::bigint where $9::text is not null
       on conflict (relay) do update set position = excluded.position,
         stream_seq = excluded.stream_seq, updated_at = now())
     ${advance}`;
}

/**
 * Stores the cursor (last acknowledged position + stream sequence) and moves the relay's
 * consumer group to `state.passed`, renewing (or, with `owner` null, releasing) its lease.
 */
async function commitCursor(
  o: Resolved,
  state: RelayState,
  owner: string | null = o.memberId,
): Promise<void> {
  const at = decodeCursor(state.passed);
  await o.bus.db.query(o.commitSql, [
    o.group,
    o.channel,
    at.tick,
    at.seq,
    owner,
    LEASE_MS,
    o.relayName,
    o.stream.name,
    state.lastMsgId,
    state.streamSeq,
  ]);
  state.committedAt = Date.now();
}

/** Registers the relay's consumer group; refuses a group of bus consumers with that name. */
async function registerGroup(o: Resolved): Promise<void> {
  const { rows } = await o.bus.db.query<{
    partitions: number;
    types: string[] | null;
    members: number;
  }>(externalGroupSql(o.bus.schema).register, [o.group, o.channel]);
  const found = rows[0];
  if (
    found !== undefined &&
    (found.partitions !== 1 || found.types !== null || Number(found.members) > 0)
  ) {
    throw new RelayGroupConflictError(o.group, o.channel, {
      partitions: found.partitions,
      types: found.types,
      members: Number(found.members),
    });
  }
}

/**
 * Finds where the stream is: its last message's id is the last bus position that reached it.
 * The stream is the truth (a crash may have left acknowledged messages the cursor table does
 * not know); the table only backs it up when retention removed the last message.
 */
async function reconcile(o: Resolved, jsm: JetStreamManager, state: RelayState): Promise<void> {
  const info = await jsm.streams.info(o.stream.name);
  const lastSeq = info.state.last_seq;
  const { rows } = await o.bus.db.query<{ position: string; stream_seq: string | number }>(
    `select position, stream_seq from ${o.cursorTable} where relay = $1`,
    [o.relayName],
  );
  const row = rows[0];
  const rowSeq = row === undefined ? 0 : Number(row.stream_seq);
  if (rowSeq > lastSeq) {
    throw new RelayStreamMismatchError(
      o.stream.name,
      `its last sequence is ${lastSeq} but relay "${o.relayName}" recorded ${rowSeq}: the stream lost messages (deleted, purged or recreated); restore it, or delete the relay's cursor row to relay the channel again`,
      { lastSeq, cursorSeq: rowSeq, relay: o.relayName },
    );
  }
  if (lastSeq === 0) {
    state.lastMsgId = null;
    state.streamSeq = 0;
    state.readCursor = null;
    state.passed = null;
  } else {
    const msg = await jsm.streams.getMessage(o.stream.name, { seq: lastSeq }).catch(() => null);
    const id = msg?.header?.get('Nats-Msg-Id') ?? '';
    if (msg !== null && POSITION.test(id)) {
      state.lastMsgId = id;
    } else if (msg === null && row !== undefined && rowSeq === lastSeq) {
      state.lastMsgId = row.position;
    } else {
      throw new RelayStreamMismatchError(
        o.stream.name,
        msg === null
          ? `its last message (sequence ${lastSeq}) is gone and relay "${o.relayName}" did not record it; use retention "limits" for relayed streams`
          : `its last message (sequence ${lastSeq}) was not written by a relay (message id ${JSON.stringify(id)}); give each relay a stream of its own`,
        { lastSeq, relay: o.relayName },
      );
    }
    state.streamSeq = lastSeq;
    state.readCursor = state.lastMsgId;
    state.passed = state.lastMsgId;
  }
  state.known = true;
  await commitCursor(o, state);
  state.reconciled = true;
  state.healthy = true;
}

interface InFlight {
  readonly position: string;
  readonly ack: Promise<PubAck>;
}

/** Publishes on the wire, oldest first; they stay in flight across pages. */
interface Pipeline {
  readonly queue: InFlight[];
  /** Message id of the last publish sent (what the next one expects). */
  prevSent: string | null;
}

/** Waits for the oldest publish; on a failure waits for the rest to settle, then throws. */
async function settleHead(state: RelayState, pipeline: Pipeline): Promise<void> {
  const head = pipeline.queue.shift() as InFlight;
  let ack: PubAck;
  try {
    ack = await head.ack;
  } catch (error) {
    await drain(pipeline);
    throw error;
  }
  state.lastMsgId = head.position;
  state.passed = head.position;
  state.streamSeq = ack.seq;
  state.relayed += 1;
  state.healthy = true;
}

async function drain(pipeline: Pipeline): Promise<void> {
  await Promise.allSettled(pipeline.queue.map((q) => q.ack));
  pipeline.queue.length = 0;
}

/**
 * Sends one page pipelined: up to `maxInFlight` publishes on the wire, each expecting the
 * previous one's message id, so the server appends them only as an unbroken chain. The
 * publishes of one page are still in flight while the next page is read. The first failure
 * waits for the rest to settle (each later one fails its expectation or is a duplicate) and
 * throws: the caller reconciles from the stream and goes on from what it holds.
 */
async function sendPage(
  o: Resolved,
  state: RelayState,
  pipeline: Pipeline,
  events: readonly StoredEvent[],
): Promise<void> {
  for (const event of events) {
    const { headers, body } = encodeEvent(event);
    const prev = pipeline.prevSent;
    const ack = o.js.publish(subjectOf(o.stream.subjectPrefix, event), body, {
      msgID: event.position,
      headers,
      timeout: o.publishTimeoutMs,
      // An empty stream has no last message id: expect its (zero) last sequence instead.
      expect:
        prev === null
          ? { streamName: o.stream.name, lastSequence: state.streamSeq }
          : { streamName: o.stream.name, lastMsgID: prev },
    });
    ack.catch(() => undefined); // observed by settleHead; this only avoids an unhandled rejection
    pipeline.queue.push({ position: event.position, ack });
    pipeline.prevSent = event.position;
    if (pipeline.queue.length >= o.maxInFlight) await settleHead(state, pipeline);
  }
}

function renewDue(state: RelayState): boolean {
  return Date.now() - state.committedAt >= RENEW_MS;
}

function retryDelay(o: Resolved, failures: number): number {
  const base = Math.min(o.retry.maxMs, o.retry.initialMs * 2 ** Math.max(0, failures - 1));
  return base / 2 + Math.random() * (base / 2);
}

function sleep(state: RelayState, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      state.wake = null;
      resolve();
    }
    state.wake = done;
  });
}

async function runLoop(o: Resolved, jsm: JetStreamManager, state: RelayState): Promise<void> {
  const pipeline: Pipeline = { queue: [], prevSent: null };
  let committedSeq = -1;
  while (state.running) {
    try {
      if (!state.reconciled) {
        await reconcile(o, jsm, state);
        pipeline.prevSent = state.lastMsgId;
        committedSeq = state.streamSeq;
      }
      const page = await getEventsByChannel(o.bus.db, o.channel, {
        after: state.readCursor,
        limit: o.batchSize,
        schema: o.bus.schema,
        tick: !o.bus.ticker.running,
      });
      await sendPage(o, state, pipeline, page.events);
      state.readCursor = page.nextCursor;
      const caughtUp = page.events.length < o.batchSize;
      // Caught up: wait for every ack. Otherwise the pipeline stays full into the next page.
      if (caughtUp) {
        while (pipeline.queue.length > 0) await settleHead(state, pipeline);
        // Every event up to the page's end is in the stream: the group passes empty ticks too.
        state.passed = page.nextCursor;
      }
      if (state.streamSeq !== committedSeq || renewDue(state)) {
        await commitCursor(o, state);
        committedSeq = state.streamSeq;
      }
      state.failures = 0;
      state.lastError = null;
      if (caughtUp) await sleep(state, o.pollIntervalMs);
    } catch (error) {
      // Settle what is still on the wire before reading the stream's last message.
      await drain(pipeline);
      state.reconciled = false;
      state.healthy = false;
      state.failures += 1;
      state.lastError = describe(error);
      o.logger?.warn(
        { err: error, relay: o.relayName, failures: state.failures },
        'nats relay: publish or reconcile failed; retrying with backoff',
      );
      // Still alive while NATS is away: keep the lease (the position moves only by acks).
      if (state.known && renewDue(state)) await commitCursor(o, state).catch(() => undefined);
      if (state.running) await sleep(state, retryDelay(o, state.failures));
    }
  }
  await drain(pipeline);
}

/**
 * A relay from one bus channel into one JetStream stream, exactly once and in bus order: each
 * event's bus position is its `Nats-Msg-Id`, each publish expects the previous message id,
 * the cursor (position + stream sequence) is stored after the acknowledgements, and every
 * (re)start reconciles from the stream's last message. Give each relay a stream of its own.
 * The relay is a consumer group of the bus (`nats-relay:<name>`), moved in the statement that
 * stores the cursor: `bus.consumers.status()`, the sampled lag metrics and `pruneEvents`
 * see it like any group.
 *
 * @example
 * const relay = createRelay({ bus, nc, channel: 'orders', stream: { name: 'ORDERS' } });
 * await relay.start();
 * // ... on shutdown
 * await relay.stop();
 */
export function createRelay(options: RelayOptions): Relay {
  const parsed = parseOptions(optionsSchema, options, {
    where: 'createRelay(options)',
    code: INVALID_ARGUMENT_CODE,
  });
  const relaySchema = parsed.relaySchema ?? `${parsed.bus.schema}_nats`;
  const relayName = parsed.name ?? parsed.stream.name;
  const cursorTable = `"${relaySchema}".relay_cursors`;
  const o: Resolved = {
    ...parsed,
    relayName,
    cursorTable,
    group: `nats-relay:${relayName}`,
    memberId: `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    commitSql: commitStatement(cursorTable, externalGroupSql(parsed.bus.schema).advance),
    js: jetstream(parsed.nc),
  };
  const state: RelayState = {
    running: false,
    reconciled: false,
    known: false,
    healthy: true,
    lastMsgId: null,
    streamSeq: 0,
    readCursor: null,
    passed: null,
    committedAt: 0,
    relayed: 0,
    failures: 0,
    lastError: null,
    wake: null,
    loop: null,
    unlisten: null,
  };
  const install = async (): Promise<void> => {
    for (const m of relayMigrations(relaySchema)) {
      for (const statement of m.sql.split(';').map((s) => s.trim())) {
        if (statement !== '') await o.bus.db.query(statement);
      }
    }
    await registerGroup(o);
  };
  return {
    install,
    async start() {
      if (state.running) return;
      await install();
      const jsm = await jetstreamManager(o.nc);
      await ensureStream(jsm, o.stream);
      state.running = true;
      // A tick NOTIFY wakes the relay at once; polling is the backstop.
      state.unlisten = await o.bus.db
        .listen(tickChannel(o.bus.schema), () => state.wake?.())
        .catch(() => null);
      state.loop = runLoop(o, jsm, state);
    },
    async stop() {
      if (!state.running) return;
      state.running = false;
      state.wake?.();
      await state.loop;
      await state.unlisten?.();
      state.unlisten = null;
      // Release the lease: the status shows nobody runs the relay (its position stays).
      if (state.known) await commitCursor(o, state, null).catch(() => undefined);
    },
    async status() {
      const { rows } = await o.bus.db.query<{ n: string | number; oldest: number | null }>(
        `select count(*) as n, (extract(epoch from min(recorded_at)) * 1000)::float8 as oldest
           from "${o.bus.schema}".events where channel = $1 and seq > $2`,
        [o.channel, seqOf(state.lastMsgId)],
      );
      const oldest = rows[0]?.oldest ?? null;
      return {
        name: o.relayName,
        group: o.group,
        channel: o.channel,
        stream: o.stream.name,
        running: state.running,
        healthy: state.healthy,
        position: state.lastMsgId,
        streamSeq: state.streamSeq,
        relayed: state.relayed,
        pending: Number(rows[0]?.n ?? 0),
        lagMs: oldest === null ? 0 : Math.max(0, Date.now() - oldest),
        failures: state.failures,
        lastError: state.lastError,
      };
    },
  };
}
