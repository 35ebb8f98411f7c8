import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCount, BenchError } from './errors.js';
import { formatValue } from './format.js';
import { createBenchContext, defineBenchmark, type Figure, isBenchmark } from './harness.js';
import { createEvents } from './payloads.js';
import { renderReport } from './report.js';
import { listBenchmarks, loadBenchmark, runBenchmark } from './runner.js';
import { percentile, summarize } from './stats.js';

const quiet = { log: () => {} };
const machine = async () => ({
  node: 'v20.0.0',
  platform: 'linux',
  arch: 'x64',
  cpus: 2,
  cpuModel: 'test cpu',
  totalMemoryGiB: 1,
  postgres: null,
});

describe('stats', () => {
  it('takes the median of odd and even counts and keeps min/max', () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(summarize([7])).toEqual({ median: 7, min: 7, max: 7 });
  });

  it('rejects empty and non-finite samples', () => {
    expect(() => summarize([])).toThrow(RangeError);
    expect(() => summarize([1, Number.NaN])).toThrow(/non-finite/);
  });

  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1, unsorted input
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([5, 1], 0)).toBe(1);
    expect(() => percentile(values, 101)).toThrow(RangeError);
  });
});

describe('context', () => {
  it('repeat() records the median rate of all runs, timing only fn', async () => {
    const ctx = createBenchContext({ name: 'unit', ...quiet });
    const calls: string[] = [];
    // Runs report their own duration so the rates are exact: 1000/s, 4000/s, 2000/s.
    const ms = [1000, 250, 500];
    const figure = await ctx.repeat(
      'rows',
      async (run) => ({ items: 1000, ms: ms[run - 1] as number }),
      {
        unit: 'rows/s',
        before: (run) => {
          calls.push(`before ${run}`);
        },
        after: (items, run) => {
          calls.push(`after ${run} ${items}`);
        },
      },
    );
    expect(figure).toEqual({
      name: 'rows',
      value: 2000,
      unit: 'rows/s',
      min: 1000,
      max: 4000,
      runs: [1000, 4000, 2000],
    });
    expect(calls).toEqual([
      'before 1',
      'after 1 1000',
      'before 2',
      'after 2 1000',
      'before 3',
      'after 3 1000',
    ]);
    expect(ctx.recorded().figures).toEqual([figure]);
  });

  it('warm-up runs go first with run 0, untimed and unrecorded', async () => {
    const ctx = createBenchContext({ name: 'unit', runs: 2, ...quiet });
    const calls: string[] = [];
    const figure = await ctx.repeat(
      'warm',
      async (run) => {
        calls.push(`fn ${run}`);
        // A warm-up that reported its time would drag the median to 1 item/s.
        return { items: 1000, ms: run === 0 ? 1_000_000 : 1000 };
      },
      { warmup: 1, before: (run) => void calls.push(`before ${run}`) },
    );
    expect(calls).toEqual(['before 0', 'fn 0', 'before 1', 'fn 1', 'before 2', 'fn 2']);
    expect(figure.runs).toEqual([1000, 1000]);
    const sampled = await ctx.sample('warm sample', async (run) => ({ v: run }), { warmup: 2 });
    expect(sampled.v?.runs).toEqual([1, 2]);
    await expect(ctx.repeat('bad warm-up', async () => 1, { warmup: -1 })).rejects.toMatchObject({
      code: 'VSA_BENCH_INVALID_ARGUMENT',
    });
  });

  it('a ratio of figures from the same sample rounds is the median of per-round ratios', async () => {
    const ctx = createBenchContext({ name: 'unit', runs: 3, ...quiet });
    const a = [100, 50, 90];
    const b = [50, 50, 30];
    const paired = await ctx.sample('pair', async (run) => ({
      a: a[run - 1] as number,
      b: b[run - 1] as number,
    }));
    // Per round 2, 1, 3 → median 2; median / median would be 90 / 50 = 1.8.
    const ratio = ctx.ratio('a / b', paired.a as Figure, paired.b as Figure);
    expect(ratio.value).toBe(2);
    expect(ratio.perRound).toEqual([2, 1, 3]);
    const other = await ctx.sample('other', async (run) => ({ c: b[run - 1] as number }));
    const unpaired = ctx.ratio('a / c', paired.a as Figure, other.c as Figure);
    expect(unpaired.value).toBe(1.8);
    expect(unpaired.perRound).toBeUndefined();
  });

  it('repeat() times fn with performance.now when it returns a count', async () => {
    const ctx = createBenchContext({ name: 'unit', runs: 1, ...quiet });
    const figure = await ctx.repeat('sleep', async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 10;
    });
    expect(figure.runs).toHaveLength(1);
    // 10 items in >= ~20 ms cannot exceed ~500/s (allowing timer slack of a few ms).
    expect(figure.value).toBeGreaterThan(0);
    expect(figure.value).toBeLessThan(10 / 0.015);
  });

  it('repeat() fails when a run reports no items, and when after() throws', async () => {
    const ctx = createBenchContext({ name: 'unit', ...quiet });
    await expect(ctx.repeat('none', async () => 0)).rejects.toThrow(/return the number of items/);
    await expect(
      ctx.repeat('short', async () => 5, { after: (items) => assertCount('rows', items, 6) }),
    ).rejects.toMatchObject({ code: 'VSA_BENCH_COUNT_MISMATCH' });
  });

  it('sample() records one median figure per key', async () => {
    const ctx = createBenchContext({ name: 'unit', ...quiet });
    const p50 = [1.2, 1.0, 1.1];
    const figures = await ctx.sample(
      'listen',
      async (run) => ({ p50: p50[run - 1] as number, p99: 3 * run }),
      {
        unit: { p50: 'ms', p99: 'ms' },
      },
    );
    expect(figures.p50).toMatchObject({
      name: 'listen p50',
      value: 1.1,
      min: 1.0,
      max: 1.2,
      unit: 'ms',
    });
    expect(figures.p99).toMatchObject({ name: 'listen p99', value: 6, runs: [3, 6, 9] });
  });

  it('ratio() divides figures and names them; target() honours direction and tolerance', () => {
    const ctx = createBenchContext({ name: 'unit', ...quiet });
    const mine = ctx.figure('mine', 80, 'rows/s');
    const raw = ctx.figure('raw', 100, 'rows/s');
    const ratio = ctx.ratio('mine / raw', mine, raw);
    expect(ratio).toEqual({
      name: 'mine / raw',
      value: 0.8,
      numerator: 'mine',
      denominator: 'raw',
    });
    expect(ctx.target('at least 0.8', ratio, 0.8, 'atLeast').met).toBe(true);
    expect(ctx.target('at least 0.9', ratio, 0.9, 'atLeast').met).toBe(false);
    expect(ctx.target('at least 0.9 ±15%', ratio, 0.9, 'atLeast', { tolerance: 0.15 }).met).toBe(
      true,
    );
    expect(ctx.target('at most 0.7', 0.8, 0.7, 'atMost').met).toBe(false);
    expect(ctx.target('at most 0.7 ±15%', 0.8, 0.7, 'atMost', { tolerance: 0.15 })).toEqual({
      name: 'at most 0.7 ±15%',
      value: 0.8,
      target: 0.7,
      comparison: 'atMost',
      tolerance: 0.15,
      met: true,
    });
  });

  it('rejects bad input with typed errors', () => {
    const ctx = createBenchContext({ name: 'unit', ...quiet });
    ctx.figure('x', 1, 'ms');
    expect(() => ctx.figure('x', 2, 'ms')).toThrow(
      expect.objectContaining({ code: 'VSA_BENCH_DUPLICATE_NAME' }),
    );
    expect(() => ctx.ratio('r', 1, 0)).toThrow(
      expect.objectContaining({ code: 'VSA_BENCH_INVALID_ARGUMENT' }),
    );
    expect(() => ctx.figure('nan', Number.NaN, 'ms')).toThrow(BenchError);
    expect(() => ctx.target('t', 1, 1, 'atLeast', { tolerance: 1 })).toThrow(/tolerance/);
    expect(() => ctx.target('t2', 1, 1, 'above' as 'atLeast')).toThrow(/comparison/);
    expect(() => createBenchContext({ name: 'unit', runs: 0 })).toThrow(/positive integer/);
    expect(() =>
      defineBenchmark({ name: 'Bad Name', description: '', run: async () => {} }),
    ).toThrow(/kebab-case/);
  });

  it('runs cleanups last-first and reports their failures', async () => {
    const ctx = createBenchContext({ name: 'unit', ...quiet });
    const order: number[] = [];
    ctx.onCleanup(() => {
      order.push(1);
    });
    ctx.onCleanup(() => {
      throw new Error('boom');
    });
    ctx.onCleanup(() => {
      order.push(3);
    });
    const failures = await ctx.cleanup();
    expect(order).toEqual([3, 1]);
    expect(failures.map((e) => e.message)).toEqual(['boom']);
  });
});

describe('runner', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsa-bench-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the results file with figures, ratios, targets and machine info', async () => {
    const benchmark = defineBenchmark({
      name: 'shape',
      description: 'results shape',
      async run(ctx) {
        const a = ctx.figure('a', 50, 'rows/s');
        const b = ctx.figure('b', 100, 'rows/s');
        const r = ctx.ratio('a / b', a, b);
        ctx.target('a / b >= 0.4', r, 0.4, 'atLeast');
        ctx.target('a / b >= 0.9', r, 0.9, 'atLeast');
        ctx.note('noisy machine');
      },
    });
    expect(isBenchmark(benchmark)).toBe(true);
    const results = await runBenchmark(benchmark, {
      resultsDir: dir,
      machineInfo: machine,
      ...quiet,
    });
    const written = JSON.parse(await readFile(join(dir, 'shape.json'), 'utf8'));
    expect(written).toEqual(results);
    expect(written).toMatchObject({
      name: 'shape',
      description: 'results shape',
      runs: 3,
      machine: { node: 'v20.0.0', cpus: 2, postgres: null },
      figures: [
        { name: 'a', value: 50, unit: 'rows/s' },
        { name: 'b', value: 100, unit: 'rows/s' },
      ],
      ratios: [{ name: 'a / b', value: 0.5, numerator: 'a', denominator: 'b' }],
      targets: [
        { name: 'a / b >= 0.4', value: 0.5, target: 0.4, met: true },
        { name: 'a / b >= 0.9', value: 0.5, target: 0.9, met: false },
      ],
      notes: ['noisy machine'],
      missed: 1,
    });
    expect(Number.isNaN(Date.parse(written.date))).toBe(false);
    expect(written.error).toBeUndefined();
    const report = renderReport(results);
    expect(report).toContain('✓ met');
    expect(report).toContain('✗ MISSED');
    expect(report).toContain('MISSED 1 of 2 targets');
  });

  it('keeps figures taken before a failure, records the error and still cleans up', async () => {
    let cleaned = false;
    const benchmark = defineBenchmark({
      name: 'fails',
      description: 'throws midway',
      async run(ctx) {
        ctx.onCleanup(() => {
          cleaned = true;
        });
        ctx.figure('before', 1, 'ms');
        throw new Error('midway');
      },
    });
    const results = await runBenchmark(benchmark, { machineInfo: machine, ...quiet });
    expect(cleaned).toBe(true);
    expect(results.figures).toHaveLength(1);
    expect(results.error).toContain('midway');
    expect(renderReport(results)).toContain('ERROR');
  });

  it('lists and loads compiled benchmarks, and names the available ones for an unknown name', async () => {
    const benchmarks = join(dir, 'benchmarks');
    await mkdir(benchmarks, { recursive: true });
    await writeFile(
      join(benchmarks, 'demo.js'),
      "export default { kind: 'vsa-benchmark', name: 'demo', description: 'd', run: async () => {} };\n",
    );
    await writeFile(join(benchmarks, 'plain.js'), 'export default 42;\n');
    await writeFile(join(benchmarks, 'demo.test.js'), '');
    expect(await listBenchmarks(benchmarks)).toEqual(['demo', 'plain']);
    expect((await loadBenchmark(benchmarks, 'demo')).name).toBe('demo');
    await expect(loadBenchmark(benchmarks, 'nope')).rejects.toMatchObject({
      code: 'VSA_BENCH_UNKNOWN_BENCHMARK',
      message: expect.stringContaining('Available: demo, plain'),
    });
    await expect(loadBenchmark(benchmarks, '../demo')).rejects.toMatchObject({
      code: 'VSA_BENCH_UNKNOWN_BENCHMARK',
    });
    await expect(loadBenchmark(benchmarks, 'plain')).rejects.toMatchObject({
      code: 'VSA_BENCH_INVALID_MODULE',
    });
  });
});

describe('payloads and formatting', () => {
  it('generates deterministic ~200-byte events over 10 channels and 5 types', () => {
    const events = createEvents(10_000);
    expect(createEvents(10_000)).toEqual(events);
    expect(createEvents(10, 7)).not.toEqual(createEvents(10));
    const sizes = events.map((e) => e.json.length);
    const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(mean).toBeGreaterThan(190);
    expect(mean).toBeLessThan(210);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(140);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(260);
    expect(new Set(events.map((e) => e.channel)).size).toBe(10);
    expect(new Set(events.map((e) => e.type)).size).toBe(5);
    expect(JSON.parse(events[0]?.json ?? '')).toEqual(events[0]?.data);
    expect(() => createEvents(-1)).toThrow(RangeError);
  });

  it('formats figures to three significant digits', () => {
    expect(formatValue(93_512)).toBe('93.5k');
    expect(formatValue(3012)).toBe('3.01k');
    expect(formatValue(1_234_567)).toBe('1.23M');
    expect(formatValue(1.1423)).toBe('1.14');
    expect(formatValue(0.0321)).toBe('0.032');
    expect(formatValue(0)).toBe('0');
  });
});
