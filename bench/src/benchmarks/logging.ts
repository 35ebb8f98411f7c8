import { createLogger, getLogContext, withLogContext } from '@vsa/common-logging';
import { type DestinationStream, type Logger, pino } from 'pino';
import { defineBenchmark } from '../harness.js';

const LINES = 1_000_000;
const CONTEXT = {
  requestId: 'req-8f14e45f',
  correlationId: 'corr-8f14e45f',
  causationId: 'req-8f14e45f',
};

/** A null destination: pino formats every line completely, then nothing is written. */
function nullDestination(): DestinationStream & { bytes: number } {
  return {
    bytes: 0,
    write(line: string) {
      this.bytes += line.length;
    },
  };
}

/** Logs LINES lines inside a log context; returns the count for the harness's rate. */
async function logLines(
  make: (dest: DestinationStream) => Logger,
  checkContext: boolean,
): Promise<number> {
  const dest = nullDestination();
  const logger = make(dest);
  let probe = '';
  const probeDest: DestinationStream = { write: (line) => (probe = line) };
  await withLogContext(CONTEXT, async () => {
    for (let i = 0; i < LINES; i++) logger.info({ orderId: i, amountCents: 1999 }, 'order placed');
    // One more line to a probe (negligible next to 1M): proves the variant writes the context.
    make(probeDest).info('probe');
  });
  if (checkContext && !probe.includes('"correlationId":"corr-8f14e45f"')) {
    throw new Error(`context missing from a line: ${probe}`);
  }
  if (dest.bytes === 0) throw new Error('nothing was logged');
  return LINES;
}

/**
 * `pnpm bench logging`: 1,000,000 lines to a null destination through createLogger (context
 * mixin, redaction, serializers) inside withLogContext, against bare pino in the same run.
 */
export default defineBenchmark({
  name: 'logging',
  description:
    'createLogger with the context mixin vs bare pino: 1,000,000 lines to a null destination',
  async run(ctx) {
    const bare = await ctx.repeat('bare pino', () => logLines((dest) => pino({}, dest), false), {
      unit: 'lines/s',
    });
    const ours = await ctx.repeat(
      'createLogger (context mixin + redaction)',
      () => logLines((dest) => createLogger({ destination: dest }), true),
      { unit: 'lines/s' },
    );
    const spread = await ctx.repeat(
      'pino + spread mixin (pino docs pattern)',
      () => logLines((dest) => pino({ mixin: () => ({ ...getLogContext() }) }, dest), true),
      { unit: 'lines/s' },
    );
    const ratio = ctx.ratio('createLogger / bare pino', ours, bare);
    ctx.ratio('spread mixin / bare pino', spread, bare);
    ctx.target('createLogger / bare pino', ratio, 0.85, 'atLeast');
    ctx.log(`ratio createLogger / bare pino = ${ratio.value.toFixed(3)} (target >= 0.85)`);
    ctx.note(
      'Each line: level, time, pid, hostname, msg and two fields; createLogger lines also carry 3 context fields (~35% more bytes).',
    );
    ctx.note(
      'Null destination = a write() that only counts bytes, so the figures are pure formatting cost.',
    );
    ctx.note(
      '2 shared cores, other work may run at the same time: read the same-run ratio, not absolute rates.',
    );
  },
});
