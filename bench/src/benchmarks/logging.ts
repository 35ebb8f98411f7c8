import { performance } from 'node:perf_hooks';
import { createLogger, getLogContext, withLogContext } from '@vsa/common-logging';
import { type DestinationStream, type Logger, pino } from 'pino';
import { defineBenchmark } from '../harness.js';

const LINES = 1_000_000;
const WARMUP_LINES = 100_000;
const CONTEXT = {
  requestId: 'req-8f14e45f',
  correlationId: 'corr-8f14e45f',
  causationId: 'req-8f14e45f',
};

interface Variant {
  readonly name: string;
  readonly make: (dest: DestinationStream) => Logger;
  /** Whether its lines must carry the context (checked on a probe line). */
  readonly carriesContext: boolean;
}

const VARIANTS: readonly Variant[] = [
  { name: 'bare pino', make: (dest) => pino({}, dest), carriesContext: false },
  {
    name: 'createLogger (context + redaction)',
    make: (dest) => createLogger({ destination: dest }),
    carriesContext: true,
  },
  {
    // The usual recipe from pino's docs, for reference: a mixin returning a fresh object.
    name: 'pino + spread mixin',
    make: (dest) => pino({ mixin: () => ({ ...getLogContext() }) }, dest),
    carriesContext: true,
  },
];

/** A null destination: pino formats every line completely, then nothing is written. */
function nullDestination(): DestinationStream & { bytes: number } {
  return {
    bytes: 0,
    write(line: string) {
      this.bytes += line.length;
    },
  };
}

/** Logs `lines` lines inside a log context; returns the elapsed milliseconds. */
async function timeLines(variant: Variant, lines: number): Promise<number> {
  const dest = nullDestination();
  const logger = variant.make(dest);
  let probe = '';
  const ms = await withLogContext(CONTEXT, async () => {
    const start = performance.now();
    for (let i = 0; i < lines; i++) logger.info({ orderId: i, amountCents: 1999 }, 'order placed');
    const elapsed = performance.now() - start;
    variant.make({ write: (line) => (probe = line) }).info('probe');
    return elapsed;
  });
  if (variant.carriesContext && !probe.includes('"correlationId":"corr-8f14e45f"')) {
    throw new Error(`${variant.name}: context missing from a line: ${probe}`);
  }
  if (dest.bytes === 0) throw new Error(`${variant.name}: nothing was logged`);
  return ms;
}

/**
 * `pnpm bench logging`: 1,000,000 lines to a null destination through createLogger (context
 * fields, redaction, serializers) inside withLogContext, against bare pino in the same run.
 * Runs are interleaved (bare, ours, reference; three times) so machine load drifts hit all
 * variants alike; the harness takes the median of the three.
 */
export default defineBenchmark({
  name: 'logging',
  description: 'createLogger with log context vs bare pino: 1,000,000 lines to a null destination',
  async run(ctx) {
    for (const variant of VARIANTS) await timeLines(variant, WARMUP_LINES);
    const times = new Map<string, number[]>(VARIANTS.map((variant) => [variant.name, []]));
    for (let run = 0; run < ctx.runs; run++) {
      for (const variant of VARIANTS) {
        ctx.log(`  ${variant.name} run ${run + 1}/${ctx.runs}`);
        times.get(variant.name)?.push(await timeLines(variant, LINES));
      }
    }
    const [bare, ours, spread] = await Promise.all(
      VARIANTS.map((variant) =>
        ctx.repeat(
          variant.name,
          async (run) => ({ items: LINES, ms: times.get(variant.name)?.[run - 1] ?? Number.NaN }),
          {
            unit: 'lines/s',
          },
        ),
      ),
    );
    if (bare === undefined || ours === undefined || spread === undefined)
      throw new Error('missing figure');
    const ratio = ctx.ratio('createLogger / bare pino', ours, bare);
    ctx.ratio('spread mixin / bare pino', spread, bare);
    ctx.target('createLogger / bare pino', ratio, 0.85, 'atLeast');
    process.stdout.write(
      `ratio createLogger / bare pino: ${ratio.value.toFixed(3)} (target >= 0.85)\n`,
    );
    ctx.note(
      'Each line: level, time, pid, hostname, msg and two fields; createLogger and the spread mixin add 3 context fields (~35% more bytes).',
    );
    ctx.note(
      'Null destination = a write() that only counts bytes: the figures are pure formatting cost, the strictest comparison.',
    );
    ctx.note(
      '2 shared cores, other work may run at the same time: read the same-run ratio, not absolute rates.',
    );
  },
});
