import { performance } from 'node:perf_hooks';
import { context, INVALID_SPAN_CONTEXT, type Span, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { Database } from '@vsa/common-db';
import {
  createEventBus,
  defineCatalog,
  defineEvent,
  type EventEnvelope,
  publishEvent,
  subscribe,
} from '@vsa/common-events';
import { type EventBusMetrics, installEventStore, tickSql, uuidv7 } from '@vsa/common-events/admin';
import { createPrometheusMetrics } from '@vsa/common-events/prometheus';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { BenchError } from './errors.js';
import type { BenchContext, Figure } from './harness.js';
import { EVENT_TYPES } from './payloads.js';
import { summarize } from './stats.js';

/** The recorder the API wires: `createPrometheusMetrics` into a prom-client registry. */
export function promMetrics(): EventBusMetrics {
  return createPrometheusMetrics(new Registry());
}

/**
 * The least a tracer can cost: one shared non-recording span, no allocation. The "without"
 * side of the pairs: what remains of the instrumentation points (a context object per
 * delivery) is the floor, the rest is what metrics and the global no-op tracer add.
 */
export const BARE_TRACER: Tracer = (() => {
  const span: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  const startSpan = () => span;
  return {
    startSpan,
    startActiveSpan: ((_name: string, ...rest: unknown[]) =>
      (rest[rest.length - 1] as (s: Span) => unknown)(span)) as Tracer['startActiveSpan'],
  };
})();

/**
 * Collects garbage before a timed section when the bench runs with `--expose-gc` (the `bench`
 * script does): otherwise the garbage of one side's run is collected, and counted, in the
 * other side's, which swings CPU per event by more than the 3 % being measured.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** A/A calibration (`BENCH_OBSERVABILITY_CALIBRATE=1`): "wired" configured as "without". */
const CALIBRATE = process.env.BENCH_OBSERVABILITY_CALIBRATE === '1';

/** What the "wired" side gets: metrics and the default tracer; the floor's in calibration. */
function wiredOptions(): { metrics: EventBusMetrics } | { tracer: Tracer } {
  return CALIBRATE ? { tracer: BARE_TRACER } : { metrics: promMetrics() };
}

/** Buffered publish: A B B A blocks per round, each on new buses (`BENCH_OBSERVABILITY_BLOCKS`). */
const BLOCKS = positiveInt(process.env.BENCH_OBSERVABILITY_BLOCKS, 4, 'BENCH_OBSERVABILITY_BLOCKS');

/** Consume passes per round, each on new consumers (`BENCH_OBSERVABILITY_PASSES`, default 6). */
const PASSES = positiveInt(process.env.BENCH_OBSERVABILITY_PASSES, 6, 'BENCH_OBSERVABILITY_PASSES');

/**
 * Rounds of the no-SDK pairs (`BENCH_OBSERVABILITY_ROUNDS`, default 6; even, since the verdict
 * is taken over pairs of rounds, see {@link byRoundPairs}). An A/A run on an idle 2-core
 * machine reads 0.87-1.07 per round, so a 3 % verdict wants 16 or more.
 */
const ROUNDS = positiveInt(process.env.BENCH_OBSERVABILITY_ROUNDS, 6, 'BENCH_OBSERVABILITY_ROUNDS');

function positiveInt(raw: string | undefined, fallback: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new BenchError(
      'VSA_BENCH_INVALID_ARGUMENT',
      `${name} must be a positive integer, got "${raw}"`,
    );
  }
  return n;
}

/** The run order of one round: `pairs` pairs, alternating A B and B A (so drift cancels). */
function pairOrder<T>(variants: readonly T[], pairs: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < pairs; i++) out.push(...(i % 2 === 0 ? variants : [...variants].reverse()));
  return out;
}

/** CPU time (user + system) of this process since `from`, in µs. */
function cpuMicros(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return d.user + d.system;
}

/** User CPU time of this process since `from`, in µs. */
function userMicros(from: NodeJS.CpuUsage): number {
  return process.cpuUsage(from).user;
}

/** An SDK as an app registers it (tracer provider, AsyncLocalStorage context), in memory. */
function startSdk(): { tracer: Tracer; reset(): void; stop(): Promise<void> } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  return {
    tracer: provider.getTracer('bench'),
    reset: () => exporter.reset(),
    async stop() {
      await provider.shutdown();
      manager.disable();
      context.disable();
    },
  };
}

/** The channel of the pairs: a catalog names each type on one channel only. */
const CHANNEL = 'orders';

const catalog = defineCatalog(
  EVENT_TYPES.map((type) =>
    defineEvent({ channel: CHANNEL, type, version: 1, payload: z.record(z.string(), z.unknown()) }),
  ),
);

type Variant = 'bare' | 'wired' | 'sdk';

/** Units of the figures of `kinds` (throughput, and CPU per event where `cpu` lists them). */
function units(kinds: readonly string[], cpu: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of kinds) {
    for (const v of ['bare', 'wired', 'sdk']) {
      out[`${k} ${v}`] = 'events/s';
      if (cpu.includes(k)) {
        out[`${k} ${v} cpu`] = 'µs CPU/event';
        out[`${k} ${v} user`] = 'µs user CPU/event';
      }
    }
  }
  return out;
}

/** The figures of one kind (`tx`, `plain`, ...) keyed by variant (`bare`, `bare cpu`, ...). */
function pick(figures: Record<string, Figure>, kind: string): Record<string, Figure> {
  const out: Record<string, Figure> = {};
  for (const [key, figure] of Object.entries(figures)) {
    if (key.startsWith(`${kind} `)) out[key.slice(kind.length + 1)] = figure;
  }
  return out;
}

/**
 * The median over pairs of consecutive rounds of each pair's geometric mean (an odd last round
 * is left out; one round alone is its own value). Rounds alternate which variant goes first,
 * and that order moves a round's ratio by a few percent either way (A/A consume runs read
 * about 1.04 and 0.94 in turn): a pair holds both orders, so the order cancels, where a median
 * of single rounds falls into whichever order had more rounds.
 */
export function byRoundPairs(perRound: readonly number[]): number {
  if (perRound.length < 2) return perRound[0] ?? Number.NaN;
  const pairs: number[] = [];
  for (let i = 0; i + 1 < perRound.length; i += 2) {
    pairs.push(Math.sqrt((perRound[i] as number) * (perRound[i + 1] as number)));
  }
  return summarize(pairs).median;
}

/**
 * Per-round ratios of the pairs, printed. Throughput swings by tens of percent from round to
 * round when other work shares the two cores, so the 3 % target is on this process's CPU
 * time per event (what the instrumentation adds), with throughput reported beside it.
 */
function report(
  ctx: BenchContext,
  what: string,
  noSdk: Record<string, Figure>,
  withSdk: Record<string, Figure>,
): void {
  ctx.ratio(
    `${what}: throughput, wired (no SDK) / without`,
    noSdk.wired as Figure,
    noSdk.bare as Figure,
  );
  const cpu = ctx.ratio(
    `${what}: CPU per event, without / wired (no SDK)`,
    noSdk['bare cpu'] as Figure,
    noSdk['wired cpu'] as Figure,
  );
  const user = ctx.ratio(
    `${what}: user CPU per event, without / wired (no SDK)`,
    noSdk['bare user'] as Figure,
    noSdk['wired user'] as Figure,
  );
  process.stdout.write(
    `${what}: user CPU per event without / wired (no SDK) = ${user.value.toFixed(3)} (rounds ${(user.perRound ?? [user.value]).map((x) => x.toFixed(3)).join(', ')})\n`,
  );
  const rounds = (r: { perRound?: number[]; value: number }) =>
    (r.perRound ?? [r.value]).map((x) => x.toFixed(3)).join(', ');
  const paired = byRoundPairs(cpu.perRound ?? [cpu.value]);
  process.stdout.write(
    `${what}: CPU per event without / wired (no SDK) = ${paired.toFixed(3)} by pairs of rounds (median of rounds ${cpu.value.toFixed(3)}; rounds ${rounds(cpu)}; target >= 0.97)\n`,
  );
  ctx.target(
    `${what}: wired, no SDK, within 3 % of without (CPU, pairs of rounds)`,
    paired,
    0.97,
    'atLeast',
  );
  ctx.ratio(
    `${what}: throughput, SDK + in-memory exporter / without`,
    withSdk.sdk as Figure,
    withSdk.bare as Figure,
  );
  const sdkCpu = ctx.ratio(
    `${what}: CPU per event, without / SDK + in-memory exporter`,
    withSdk['bare cpu'] as Figure,
    withSdk['sdk cpu'] as Figure,
  );
  process.stdout.write(
    `${what}: CPU per event without / SDK + in-memory exporter = ${sdkCpu.value.toFixed(3)} (rounds ${rounds(sdkCpu)}; reported)\n`,
  );
}

/**
 * Publish with and without metrics and tracing, in the same rounds: one event per
 * `bus.transaction` (a span per publish) and the event buffer (a flush metric per batch).
 */
export async function publishObservability(
  ctx: BenchContext,
  db: Database<unknown>,
  schema: string,
  input: readonly EventEnvelope[],
  transactions = 2000,
): Promise<void> {
  const events = input.map((e) => ({ ...e, channel: CHANNEL }));
  const buses = (sdk?: Tracer) => ({
    bare: createEventBus({ db, catalog, schema, tracer: BARE_TRACER }),
    wired: createEventBus({ db, catalog, schema, ...wiredOptions() }),
    ...(sdk === undefined
      ? {}
      : { sdk: createEventBus({ db, catalog, schema, metrics: promMetrics(), tracer: sdk }) }),
  });
  const run = async (given: Variant[], round: number, blocks: number, sdk?: Tracer) => {
    // Alternate which side goes first, round by round: warm caches favour neither.
    const variants = round % 2 === 0 ? given : [...given].reverse();
    const bus = buses(sdk);
    const single = events.slice(0, transactions);
    const ms: Record<string, number> = {};
    await db.query(`truncate ${schema}.events restart identity`);
    // One transaction of each variant in turn: drift on the shared machine hits all alike.
    for (const e of single) {
      for (const v of variants) {
        const b = bus[v as 'bare'];
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await b.transaction((tx) => b.publish(tx, { ...e, id: uuidv7() } as never));
        ms[`tx ${v}`] = (ms[`tx ${v}`] ?? 0) + performance.now() - t0;
        ms[`tx ${v} cpu`] = (ms[`tx ${v} cpu`] ?? 0) + cpuMicros(c0);
        ms[`tx ${v} user`] = (ms[`tx ${v} user`] ?? 0) + userMicros(c0);
      }
    }
    await Promise.all(Object.values(bus).map((b) => b.stop()));
    // Blocks of A B B A, each on new buses: whatever favours one instance for as long as it
    // lives (A/A rounds differ by up to ±6 % on one machine) then lands on both sides alike.
    for (let block = 0; block < blocks; block++) {
      const fresh = buses(sdk);
      // One untimed run of each side first: a new bus's first run is slow (caches, JIT).
      for (const v of variants) {
        const b = fresh[v as 'bare'];
        await Promise.all(events.map((e) => b.buffer.publish({ ...e, id: uuidv7() })));
        await b.buffer.flush();
      }
      for (const v of pairOrder(variants, 2)) {
        const b = fresh[v as 'bare'];
        const batch = events.map((e) => ({ ...e, id: uuidv7() }));
        collectGarbage();
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        await Promise.all(batch.map((e) => b.buffer.publish(e)));
        await b.buffer.flush();
        const cpu = cpuMicros(c0);
        ms[`buffer ${v}`] = (ms[`buffer ${v}`] ?? 0) + performance.now() - t0;
        ms[`buffer ${v} cpu`] = (ms[`buffer ${v} cpu`] ?? 0) + cpu;
        ms[`buffer ${v} user`] = (ms[`buffer ${v} user`] ?? 0) + userMicros(c0);
      }
      await Promise.all(Object.values(fresh).map((b) => b.stop()));
    }
    const out: Record<string, number> = {};
    for (const v of variants) {
      out[`tx ${v}`] = (single.length / (ms[`tx ${v}`] as number)) * 1000;
      out[`tx ${v} cpu`] = (ms[`tx ${v} cpu`] as number) / single.length;
      out[`tx ${v} user`] = (ms[`tx ${v} user`] as number) / single.length;
      out[`buffer ${v}`] = (2 * blocks * events.length * 1000) / (ms[`buffer ${v}`] as number);
      out[`buffer ${v} cpu`] = (ms[`buffer ${v} cpu`] as number) / (2 * blocks * events.length);
      out[`buffer ${v} user`] = (ms[`buffer ${v} user`] as number) / (2 * blocks * events.length);
    }
    return out;
  };
  const noSdk = await ctx.sample(
    'publish observability, no SDK',
    (round) => run(['bare', 'wired'], round, BLOCKS),
    {
      unit: units(['tx', 'buffer'], ['tx', 'buffer']),
      warmup: 1,
      runs: ROUNDS,
    },
  );
  const sdk = startSdk();
  let withSdk: Record<string, Figure>;
  try {
    withSdk = await ctx.sample(
      'publish observability, SDK',
      async (round) => {
        const out = await run(['bare', 'sdk'], round, 2, sdk.tracer);
        sdk.reset();
        return out;
      },
      { unit: units(['tx', 'buffer'], ['tx', 'buffer']), warmup: 1 },
    );
  } finally {
    await sdk.stop();
  }
  report(ctx, 'publish, 1 event per tx', pick(noSdk, 'tx'), pick(withSdk, 'tx'));
  report(ctx, 'publish, buffered', pick(noSdk, 'buffer'), pick(withSdk, 'buffer'));
  ctx.note(
    'Observability pairs: "without" = no metrics and a tracer that returns one shared no-op span (the floor of the instrumentation points); "wired" = createPrometheusMetrics into a prom-client registry (as apps/api wires it) and the default global tracer with no SDK registered; "SDK" = wired plus a BasicTracerProvider with an in-memory exporter and the AsyncLocalStorage context manager. Variants alternate transaction by transaction (buffered publish and consume: A B B A blocks of 20k-event runs, BENCH_OBSERVABILITY_BLOCKS per round, default 4, each block on new buses; 3 rounds with an SDK), with garbage collected before each run (node --expose-gc) so one side\'s garbage is not counted in the other\'s; CPU = this process\'s user + system time per event (PostgreSQL\'s own CPU is another process), so preemption by other jobs on the shared cores does not count; the verdict is the median over pairs of consecutive rounds of the geometric mean of each pair (rounds alternate which variant goes first; BENCH_OBSERVABILITY_ROUNDS rounds without an SDK, default 6), the other ratios medians of per-round ratios. BENCH_OBSERVABILITY_CALIBRATE=1 configures "wired" as "without" (an A/A run): its ratios show what this harness reads when there is no difference.',
  );
}

let groupNo = 0;

/** The two event stores of the consume pairs: a tick wakes only its own schema's consumers. */
const CONSUME_SCHEMAS = ['vsa_obs_a', 'vsa_obs_b'] as const;

/** Events per slice of the consume pairs (`BENCH_OBSERVABILITY_SLICE`, default 2,000). */
const SLICE = positiveInt(process.env.BENCH_OBSERVABILITY_SLICE, 2000, 'BENCH_OBSERVABILITY_SLICE');

/** One side of a consume pair: a running consumer on its own schema and what it has handled. */
interface ConsumeSide {
  readonly variant: Variant;
  readonly schema: string;
  readonly stop: () => Promise<void>;
  handled: number;
  /** Resolves once `handled` reaches `n`. */
  reach(n: number): Promise<void>;
  ms: number;
  cpu: number;
  user: number;
  /** Events handled inside the timed windows. */
  timed: number;
}

/** Starts a consumer of `variant` on `schema` (a new group, woken by its schema's ticks). */
async function startSide(
  db: Database<unknown>,
  schema: string,
  variant: Variant,
  mode: 'plain' | 'transactional',
  sdk: Tracer | undefined,
): Promise<ConsumeSide> {
  let want = Number.POSITIVE_INFINITY;
  let reached: () => void = () => {};
  const side: ConsumeSide = {
    variant,
    schema,
    stop: async () => {},
    handled: 0,
    reach(n) {
      if (side.handled >= n) return Promise.resolve();
      want = n;
      return new Promise<void>((resolve) => {
        reached = resolve;
      });
    },
    ms: 0,
    cpu: 0,
    user: 0,
    timed: 0,
  };
  const handler = (): void => {
    if (++side.handled >= want) {
      want = Number.POSITIVE_INFINITY;
      reached();
    }
  };
  const options =
    variant === 'bare'
      ? { tracer: BARE_TRACER }
      : variant === 'wired'
        ? wiredOptions()
        : { metrics: promMetrics(), tracer: sdk as Tracer };
  const consumer = subscribe(db, {
    group: `obs-${++groupNo}`,
    channel: CHANNEL,
    schema,
    batchSize: 1000,
    listen: true,
    ...options,
    ...(mode === 'plain' ? { handler } : { mode, handler: async () => handler() }),
  });
  await consumer.start();
  return Object.assign(side, { stop: () => consumer.stop() });
}

/**
 * Feeds `slices` slices of events to the sides in turn (A B, B A, ...), each timed from the
 * tick that makes it visible to the side's last handler call; one untimed slice per side first
 * (a new consumer's first delivery is slow: first reads, JIT). Checks every event was handled.
 */
async function feedSlices(
  db: Database<unknown>,
  sides: readonly ConsumeSide[],
  events: readonly EventEnvelope[],
  slices: number,
): Promise<void> {
  const perSlice = Math.min(SLICE, events.length);
  for (let k = -1; k < slices; k++) {
    const start = (Math.max(0, k) * perSlice) % events.length;
    const slice = events.slice(start, start + perSlice);
    for (const side of k % 2 === 0 ? sides : [...sides].reverse()) {
      await publishEvent(
        db,
        slice.map((e) => ({ ...e, id: uuidv7() })),
        { schema: side.schema },
      );
      const target = side.handled + slice.length;
      collectGarbage();
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await db.query(tickSql(side.schema));
      await side.reach(target);
      if (k < 0) continue;
      side.ms += performance.now() - t0;
      side.cpu += cpuMicros(c0);
      side.user += userMicros(c0);
      side.timed += slice.length;
    }
  }
  for (const side of sides) {
    if (side.handled !== side.timed + perSlice) {
      throw new BenchError(
        'VSA_BENCH_INVALID_ARGUMENT',
        `consume pair (${side.variant}): ${side.handled} handled, expected ${side.timed + perSlice}`,
      );
    }
  }
}

/**
 * Consume with and without metrics and tracing, in the same rounds, plain and transactional.
 * Both sides run at once, each a consumer on its own event store (schema); the events arrive
 * in slices of {@link SLICE}, alternately to one side and the other (A B B A ...), and each
 * side is timed from its tick to its last handler call of the slice. So both meet the same
 * machine within a fraction of a second of each other, and only steady-state delivery (wake,
 * read, handle, checkpoint) is measured, not consumer start-up.
 */
export async function consumeObservability(
  ctx: BenchContext,
  db: Database<unknown>,
  input: readonly EventEnvelope[],
): Promise<void> {
  const events = input.map((e) => ({ ...e, channel: CHANNEL }));
  // Per pass, 4 slices per side (two A B, two B A), at most as many as the events fill.
  const slicesPerPass = Math.max(2, Math.min(4, Math.floor(events.length / SLICE)));
  for (const schema of CONSUME_SCHEMAS) await installEventStore(db, { schema });
  ctx.onCleanup(async () => {
    for (const schema of CONSUME_SCHEMAS) await db.query(`drop schema if exists ${schema} cascade`);
  });
  const run = async (given: Variant[], round: number, sdk?: Tracer) => {
    const variants = round % 2 === 0 ? given : [...given].reverse();
    const out: Record<string, number> = {};
    for (const mode of ['plain', 'transactional'] as const) {
      const totals = new Map<Variant, { ms: number; cpu: number; user: number; n: number }>();
      // Passes on new consumers, the sides swapping schemas from pass to pass: whatever favours
      // one consumer instance or one store lands on both sides alike.
      for (let pass = 0; pass < PASSES; pass++) {
        const assignment = pass % 2 === 0 ? variants : [...variants].reverse();
        for (const schema of CONSUME_SCHEMAS) {
          await db.query(`truncate ${schema}.events restart identity`);
        }
        const sides = await Promise.all(
          assignment.map((v, i) => startSide(db, CONSUME_SCHEMAS[i] as string, v, mode, sdk)),
        );
        try {
          await feedSlices(db, sides, events, slicesPerPass);
        } finally {
          await Promise.all(sides.map((side) => side.stop()));
        }
        for (const side of sides) {
          const t = totals.get(side.variant) ?? { ms: 0, cpu: 0, user: 0, n: 0 };
          t.ms += side.ms;
          t.cpu += side.cpu;
          t.user += side.user;
          t.n += side.timed;
          totals.set(side.variant, t);
        }
      }
      for (const [variant, t] of totals) {
        out[`${mode} ${variant}`] = (t.n / t.ms) * 1000;
        out[`${mode} ${variant} cpu`] = t.cpu / t.n;
        out[`${mode} ${variant} user`] = t.user / t.n;
      }
    }
    return out;
  };
  const noSdk = await ctx.sample(
    'consume observability, no SDK',
    (round) => run(['bare', 'wired'], round),
    {
      unit: units(['plain', 'transactional'], ['plain', 'transactional']),
      warmup: 1,
      runs: ROUNDS,
    },
  );
  const sdk = startSdk();
  let withSdk: Record<string, Figure>;
  try {
    withSdk = await ctx.sample(
      'consume observability, SDK',
      async (round) => {
        const out = await run(['bare', 'sdk'], round, sdk.tracer);
        sdk.reset();
        return out;
      },
      { unit: units(['plain', 'transactional'], ['plain', 'transactional']), warmup: 1 },
    );
  } finally {
    await sdk.stop();
  }
  for (const mode of ['plain', 'transactional'] as const) {
    report(ctx, `consume, ${mode}`, pick(noSdk, mode), pick(withSdk, mode));
  }
  ctx.note(
    `Consume pairs: both sides run at once, each a consumer group (batch 1,000, LISTEN wake-ups) on its own event store (schemas ${CONSUME_SCHEMAS.join(', ')}), fed ${slicesPerPass} slices of ${SLICE} events each per pass alternately (A B B A ...; BENCH_OBSERVABILITY_SLICE), in ${PASSES} passes per round on new consumers (BENCH_OBSERVABILITY_PASSES), the sides swapping stores from pass to pass; each side is timed from the tick that makes its slice visible to its last handler call (publishing the slice is not timed), with garbage collected first; CPU per event = this process's CPU over those windows / events handled.`,
  );
}
