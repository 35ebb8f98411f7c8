import { defineBenchmark } from '../harness.js';
import { graphileAddJobs, graphileProcess, pgBossProcess, pgBossSend } from '../peers/index.js';
import { rawCursorRead, rawMultiInsert } from '../raw/index.js';

/**
 * `pnpm bench peers`: pg-boss 12.38.0 and graphile-worker 0.18.0 at their best batch settings,
 * with the raw anchors they are compared to in the same run (perf-baselines 3, 4).
 */
export default defineBenchmark({
  name: 'peers',
  description:
    'pg-boss and graphile-worker enqueue and processing vs raw 1b and 2 (perf-baselines 3, 4)',
  async run(ctx) {
    const multi = await rawMultiInsert(ctx);
    const read = await rawCursorRead(ctx);
    const bossSend = await pgBossSend(ctx);
    const bossProcess = await pgBossProcess(ctx);
    const graphileAdd = await graphileAddJobs(ctx);
    const graphileRun = await graphileProcess(ctx);
    ctx.ratio('pg-boss send / 1b', bossSend, multi);
    ctx.ratio('graphile add / 1b', graphileAdd, multi);
    ctx.ratio('pg-boss process / 2', bossProcess, read);
    ctx.ratio('graphile process / 2', graphileRun, read);
    ctx.note(
      'pg-boss 12 / graphile-worker 0.18 declare Node >= 22 and run here on Node 20 outside their declared engines, as in perf-baselines; their processing is faster on Node 24.',
    );
  },
});
