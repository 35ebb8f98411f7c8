import type { EventBusMetrics, HandlerLabels } from './metrics.js';

/**
 * What a Prometheus registry needs to hold a metric: prom-client's `Registry`. It is given
 * {@link PrometheusMetric} objects (prom-client's collector shape); the parameter is typed
 * `never` so prom-client's own `Metric` parameter type is accepted without depending on it.
 */
export interface PrometheusRegistry {
  registerMetric(metric: never): void;
}

/** One exposition sample, in prom-client's metric-object shape. */
export interface PrometheusSample {
  readonly metricName?: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** A metric in prom-client's collector shape: what `Registry.metrics()` renders. */
export interface PrometheusMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum' | 'max';
  get(): Promise<{
    name: string;
    help: string;
    type: 'counter' | 'gauge' | 'histogram';
    aggregator: 'sum' | 'max';
    values: PrometheusSample[];
  }>;
  reset(): void;
}

type Labels = Readonly<Record<string, string>>;

/** Series by label values, kept in plain numbers; rendered when scraped. */
abstract class Family<S> implements PrometheusMetric {
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator: 'sum' | 'max' = 'sum';
  protected series = new Map<string, { labels: Labels; state: S }>();
  /** Called by `reset()`: states cached outside the family are stale from then on. */
  onReset: (() => void) | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** The state of the series with these labels (created on first use). */
  at(labels: Labels): S {
    const key = Object.values(labels).join('\u0000');
    let s = this.series.get(key);
    if (s === undefined) {
      s = { labels, state: this.initial() };
      this.series.set(key, s);
    }
    return s.state;
  }

  protected abstract initial(): S;
  protected abstract samples(labels: Labels, state: S): PrometheusSample[];

  async get() {
    const values: PrometheusSample[] = [];
    for (const { labels, state } of this.series.values())
      values.push(...this.samples(labels, state));
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }

  reset(): void {
    this.series.clear();
    this.onReset?.();
  }
}

class CounterFamily extends Family<{ value: number }> {
  readonly type = 'counter';
  protected initial() {
    return { value: 0 };
  }
  protected samples(labels: Labels, s: { value: number }) {
    return [{ labels, value: s.value }];
  }
}

class GaugeFamily extends Family<{ value: number }> {
  readonly type = 'gauge';
  protected initial() {
    return { value: 0 };
  }
  protected samples(labels: Labels, s: { value: number }) {
    return [{ labels, value: s.value }];
  }
  set(labels: Labels, value: number): void {
    this.at(labels).value = value;
  }
}

interface HistogramState {
  /** Observations per bucket (not cumulative), the last one +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

class HistogramFamily extends Family<HistogramState> {
  readonly type = 'histogram';
  constructor(
    name: string,
    help: string,
    readonly bounds: readonly number[],
  ) {
    super(name, help);
  }
  protected initial(): HistogramState {
    return { counts: new Array(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
  }
  protected samples(labels: Labels, s: HistogramState) {
    const out: PrometheusSample[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += s.counts[i] as number;
      const le = i < this.bounds.length ? (this.bounds[i] as number) : '+Inf';
      out.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: cumulative });
    }
    out.push({ metricName: `${this.name}_sum`, labels, value: s.sum });
    out.push({ metricName: `${this.name}_count`, labels, value: s.count });
    return out;
  }
  /** Records `value` in `s` (a series from `at`). */
  observe(s: HistogramState, value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    s.counts[i] = (s.counts[i] as number) + 1;
    s.sum += value;
    s.count++;
  }
}

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Prefix of every metric name (default `vsa_events_`; the pool gauge is `vsa_db_pool_connections`). */
  readonly prefix?: string;
  /** Handler duration buckets in seconds (default 1 ms … 10 s). */
  readonly buckets?: readonly number[];
}

const DEFAULT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Per handler label set: the four series it writes, found once. */
interface HandlerSeries {
  readonly handled: { value: number };
  readonly failed: { value: number };
  readonly ok: HistogramState;
  readonly error: HistogramState;
}

/**
 * An {@link EventBusMetrics} that writes Prometheus metrics into `registry` (prom-client's
 * `Registry`, or anything with `registerMetric`), without depending on prom-client. The hot
 * path (a handled event) is a few additions on plain numbers; series are rendered when the
 * registry is scraped. Call `bus.sampleMetrics()` before a scrape for the gauges.
 *
 * @example
 * const registry = new Registry(); // prom-client
 * const bus = createEventBus({ db, catalog, metrics: createPrometheusMetrics(registry) });
 * app.get('/metrics', async () => { await bus.sampleMetrics(); return registry.metrics(); });
 */
export function createPrometheusMetrics(
  registry: PrometheusRegistry,
  options: PrometheusMetricsOptions = {},
): EventBusMetrics {
  const p = options.prefix ?? 'vsa_events_';
  const buckets = [...(options.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b);
  const published = new CounterFamily(
    `${p}published_total`,
    'Events inserted by publish and the event buffer, by channel and type',
  );
  const handled = new CounterFamily(
    `${p}handled_total`,
    'Handler calls that returned, by consumer group, channel and type',
  );
  const failed = new CounterFamily(
    `${p}failed_total`,
    'Handler calls that threw, by consumer group, channel and type',
  );
  const retried = new CounterFamily(
    `${p}retried_total`,
    'Failed events scheduled for another attempt, by consumer group and channel',
  );
  const deadLettered = new CounterFamily(
    `${p}dead_lettered_total`,
    'Events moved to dead letters, by consumer group and channel',
  );
  const duration = new HistogramFamily(
    `${p}handler_duration_seconds`,
    'Handler call duration by consumer group, channel and outcome, in seconds',
    buckets,
  );
  const lagEvents = new GaugeFamily(
    `${p}consumer_lag_events`,
    'Events not yet processed, by consumer group, channel and partition',
  );
  const lagSeconds = new GaugeFamily(
    `${p}consumer_lag_seconds`,
    'Time between the tick a partition is at and the newest tick, in seconds',
  );
  const oldest = new GaugeFamily(
    `${p}oldest_transaction_age_seconds`,
    'Age of the oldest open transaction that wrote events (they wait for its commit); 0 when none',
  );
  const depth = new GaugeFamily(
    `${p}buffer_depth`,
    'Events held by the event buffer (queued, in flight, waiting for room)',
  );
  const flush = new HistogramFamily(
    `${p}buffer_flush_duration_seconds`,
    'Event buffer batch writes by outcome, in seconds',
    buckets,
  );
  const pool = new GaugeFamily(
    'vsa_db_pool_connections',
    'Database pool connections by state (idle, used, waiting = callers queued, max)',
  );
  for (const m of [
    published,
    handled,
    failed,
    retried,
    deadLettered,
    duration,
    lagEvents,
    lagSeconds,
    oldest,
    depth,
    flush,
    pool,
  ]) {
    registry.registerMetric(m as never);
  }
  // The bus hands the same labels object for the same (group, channel, type): one lookup.
  let byLabels = new WeakMap<HandlerLabels, HandlerSeries>();
  let lastLabels: HandlerLabels | undefined;
  let lastSeries: HandlerSeries | undefined;
  // Published counts by channel, then type: no label object or key string per batch.
  let publishedByChannel = new Map<string, Map<string, { value: number }>>();
  // A registry reset (`resetMetrics()`) drops the series: the caches start over with it.
  const forgetHandlerSeries = () => {
    byLabels = new WeakMap();
    lastLabels = undefined;
  };
  handled.onReset = forgetHandlerSeries;
  failed.onReset = forgetHandlerSeries;
  duration.onReset = forgetHandlerSeries;
  published.onReset = () => {
    publishedByChannel = new Map();
  };
  const seriesOf = (l: HandlerLabels): HandlerSeries => {
    if (l === lastLabels) return lastSeries as HandlerSeries;
    let s = byLabels.get(l);
    if (s === undefined) {
      const labels = { group: l.group, channel: l.channel, type: l.type };
      const by = { group: l.group, channel: l.channel };
      s = {
        handled: handled.at(labels),
        failed: failed.at(labels),
        ok: duration.at({ ...by, outcome: 'ok' }),
        error: duration.at({ ...by, outcome: 'error' }),
      };
      byLabels.set(l, s);
    }
    lastLabels = l;
    lastSeries = s;
    return s;
  };
  return {
    published: (channel, type, n) => {
      let byType = publishedByChannel.get(channel);
      if (byType === undefined) {
        byType = new Map();
        publishedByChannel.set(channel, byType);
      }
      let counter = byType.get(type);
      if (counter === undefined) {
        counter = published.at({ channel, type });
        byType.set(type, counter);
      }
      counter.value += n;
    },
    handled: (labels, seconds) => {
      const s = seriesOf(labels);
      s.handled.value++;
      duration.observe(s.ok, seconds);
    },
    failed: (labels, seconds) => {
      const s = seriesOf(labels);
      s.failed.value++;
      duration.observe(s.error, seconds);
    },
    retried: (group, channel) => {
      retried.at({ group, channel }).value++;
    },
    deadLettered: (group, channel) => {
      deadLettered.at({ group, channel }).value++;
    },
    bufferFlushed: (_events, seconds, ok) =>
      flush.observe(flush.at({ outcome: ok ? 'ok' : 'error' }), seconds),
    consumerLag: (partitions) => {
      // Every partition at once: a group or partition that went away loses its series.
      lagEvents.reset();
      lagSeconds.reset();
      for (const { group, channel, partition, events, seconds } of partitions) {
        const labels = { group, channel, partition: String(partition) };
        lagEvents.set(labels, events);
        lagSeconds.set(labels, seconds);
      }
    },
    oldestTransactionAge: (seconds) => oldest.set({}, seconds),
    bufferDepth: (events) => depth.set({}, events),
    poolUsage: ({ max, total, idle, waiting }) => {
      pool.set({ state: 'idle' }, idle);
      pool.set({ state: 'used' }, total - idle);
      pool.set({ state: 'waiting' }, waiting);
      pool.set({ state: 'max' }, max);
    },
  };
}
