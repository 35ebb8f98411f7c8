import { describe, expect, it } from 'vitest';
import { createBenchContext } from '../harness.js';
import {
  pgliteCursorRead,
  pgliteMultiInsert,
  rawCopy,
  rawCursorRead,
  rawListenRoundTrip,
  rawMultiInsert,
  rawSingleInsert,
} from './index.js';
import { copyEscape } from './inserts.js';

// Tiny sizes, one run each: these check that every measurement does and verifies its work,
// not how fast it is (speed is only judged by `pnpm bench`).
describe('raw measurements', () => {
  it('run on the server with count checks and clean up their database', async () => {
    const ctx = createBenchContext({ name: 'raw-int', runs: 1, log: () => {} });
    try {
      const db = await ctx.pg();
      const single = await rawSingleInsert(ctx, { rows: 50, db });
      const multi = await rawMultiInsert(ctx, { rows: 1234, batchSize: 500, db });
      const copy = await rawCopy(ctx, { rows: 1500, db });
      const read = await rawCursorRead(ctx, { events: 2500, db });
      const readCh = await rawCursorRead(ctx, { events: 2500, byChannel: true, db, label: '2 ch' });
      const listen = await rawListenRoundTrip(ctx, { events: 20, maxGapMs: 2, db });
      for (const figure of [single, multi, copy, read, readCh]) {
        expect(figure.value).toBeGreaterThan(0);
        expect(figure.runs).toHaveLength(1);
      }
      expect(listen.p50.value).toBeLessThanOrEqual(listen.p99.value);
      expect(listen.p99.value).toBeLessThanOrEqual(listen.max.value);
      expect(ctx.recorded().figures.map((f) => f.name)).toEqual([
        '1a single-row INSERT',
        '1b 500-row INSERT',
        '1c COPY',
        '2 cursor read',
        '2 ch',
        '5 listen p50',
        '5 listen p99',
        '5 listen max',
        '5 listen publish p50',
      ]);
    } finally {
      expect(await ctx.cleanup()).toEqual([]);
    }
  });

  it('run on PGlite', async () => {
    const ctx = createBenchContext({ name: 'raw-int', runs: 1, log: () => {} });
    try {
      const db = await ctx.pglite();
      expect((await pgliteMultiInsert(ctx, { rows: 1001, db })).value).toBeGreaterThan(0);
      expect((await pgliteCursorRead(ctx, { events: 2001, db })).value).toBeGreaterThan(0);
    } finally {
      expect(await ctx.cleanup()).toEqual([]);
    }
  });

  it('reject bad sizes', async () => {
    const ctx = createBenchContext({ name: 'raw-int', runs: 1, log: () => {} });
    await expect(rawMultiInsert(ctx, { rows: 0 })).rejects.toMatchObject({
      code: 'VSA_BENCH_INVALID_ARGUMENT',
    });
    await expect(rawCursorRead(ctx, { batchSize: 1.5 })).rejects.toMatchObject({
      code: 'VSA_BENCH_INVALID_ARGUMENT',
    });
    expect(await ctx.cleanup()).toEqual([]);
  });

  it('escapes COPY text fields', () => {
    expect(copyEscape('{"a":"b"}')).toBe('{"a":"b"}');
    expect(copyEscape('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
  });
});
