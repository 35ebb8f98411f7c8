import { describe, expect, it } from 'vitest';
import { createBenchContext } from '../harness.js';
import { graphileAddJobs, graphileProcess, pgBossProcess, pgBossSend } from './index.js';

// Small job counts, one run: checks that each peer runner does and verifies its work.
describe('peer runners', () => {
  it('pg-boss sends and processes every job', async () => {
    const ctx = createBenchContext({ name: 'peers-int', runs: 1, log: () => {} });
    try {
      const db = await ctx.pg();
      expect((await pgBossSend(ctx, { jobs: 300, perCall: 100, db })).value).toBeGreaterThan(0);
      const processed = await pgBossProcess(ctx, { jobs: 300, batchSize: 100, db });
      expect(processed.name).toBe('3 pg-boss process (batch 100, localConcurrency 2, burst)');
      expect(processed.value).toBeGreaterThan(0);
    } finally {
      expect(await ctx.cleanup()).toEqual([]);
    }
  });

  it('graphile-worker adds and processes every job', async () => {
    const ctx = createBenchContext({ name: 'peers-int', runs: 1, log: () => {} });
    try {
      const db = await ctx.pg();
      expect((await graphileAddJobs(ctx, { jobs: 300, perCall: 100, db })).value).toBeGreaterThan(
        0,
      );
      expect((await graphileProcess(ctx, { jobs: 300, db })).value).toBeGreaterThan(0);
    } finally {
      expect(await ctx.cleanup()).toEqual([]);
    }
  });

  it('reject bad sizes', async () => {
    const ctx = createBenchContext({ name: 'peers-int', runs: 1, log: () => {} });
    await expect(pgBossSend(ctx, { perCall: 0 })).rejects.toMatchObject({
      code: 'VSA_BENCH_INVALID_ARGUMENT',
    });
    await expect(graphileProcess(ctx, { concurrency: -1 })).rejects.toMatchObject({
      code: 'VSA_BENCH_INVALID_ARGUMENT',
    });
    expect(await ctx.cleanup()).toEqual([]);
  });
});
