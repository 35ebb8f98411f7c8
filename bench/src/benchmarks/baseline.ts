import { defineBenchmark } from '../harness.js';
import {
  pgliteCursorRead,
  pgliteMultiInsert,
  rawCopy,
  rawCursorRead,
  rawListenRoundTrip,
  rawMultiInsert,
  rawSingleInsert,
} from '../raw/index.js';

/**
 * `pnpm bench baseline`: the raw PostgreSQL (and PGlite) figures every other benchmark is
 * compared against, with perf-baselines.md's hygiene. Medians of 3 runs.
 */
export default defineBenchmark({
  name: 'baseline',
  description:
    'raw PostgreSQL and PGlite anchors (perf-baselines 1a, 1b, 1b idx, 1c, 2, 2 ch, 5, 6)',
  async run(ctx) {
    const single = await rawSingleInsert(ctx);
    const multi = await rawMultiInsert(ctx);
    const multiIdx = await rawMultiInsert(ctx, { channelIndex: true });
    const copy = await rawCopy(ctx);
    const read = await rawCursorRead(ctx);
    const readByChannel = await rawCursorRead(ctx, { byChannel: true });
    const listen = await rawListenRoundTrip(ctx);
    const lite = await ctx.pglite();
    const liteInsert = await pgliteMultiInsert(ctx, { db: lite });
    const liteRead = await pgliteCursorRead(ctx, { db: lite });

    const perRowCommit = ctx.ratio('1a / 1b', single, multi);
    const copyGain = ctx.ratio('1c / 1b', copy, multi);
    ctx.ratio('1b idx / 1b', multiIdx, multi);
    ctx.ratio('2 / 1b', read, multi);
    ctx.ratio('2 ch / 2', readByChannel, read);
    ctx.ratio('5 listen p50 / publish p50', listen.p50, listen.publishP50);
    ctx.ratio('6 PGlite 1b / 1b', liteInsert, multi);
    ctx.ratio('6 PGlite 2 / 2', liteRead, read);

    // Sanity checks of the setup, not product targets: a miss means the machine or the server
    // settings differ from perf-baselines.md's conditions (15% tolerance, as there).
    ctx.target('1c / 1b (COPY beats multi-row INSERT)', copyGain, 1.5, 'atLeast', {
      tolerance: 0.15,
    });
    ctx.target('1a / 1b (a commit per row is costly)', perRowCommit, 0.05, 'atMost', {
      tolerance: 0.15,
    });
    ctx.note(
      '1a uses 10,000 rows per run (perf-baselines: 100k); the rate is flat in the row count.',
    );
    ctx.note(
      'PGlite runs file-backed with default options, which include fsync=off (not durable).',
    );
    ctx.note(
      '2 cores shared with PostgreSQL and any other work on the machine: compare same-run ratios, not absolute figures.',
    );
  },
});
