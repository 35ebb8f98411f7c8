import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobPayload } from './effects.js';
import type { AdapterEnv } from './env.js';
import { createRollingHistogram } from './histogram.js';

/** The adapter's first stdout line. */
export interface Descriptor {
  readonly system: string;
  readonly version: string;
  /** Tables the harness's pressure scenarios aim at (readers, vacuum figures). */
  readonly event_tables: readonly string[];
}

/** What a worker reports back to the runtime for one job. */
export interface WorkerHooks {
  /** Call when the handler starts a job: records insert→handler-start and returns it in ms. */
  claimed(job: JobPayload): number;
  /** Call once the job's effect is durable. */
  completed(count?: number): void;
}

/** One system under test, behind the contract. */
export interface SystemUnderTest {
  readonly descriptor: Descriptor;
  /** Installs the system's schema through its own migration path, and the accounting tables. */
  setup(): Promise<void>;
  /** Enqueues `jobs` through the public API; resolves once the system acknowledged them. */
  produce(jobs: readonly JobPayload[]): Promise<void>;
  startWorkers(hooks: WorkerHooks): Promise<void>;
  queueDepth(): Promise<number>;
  /** Graceful stop of producer and workers. */
  stop(): Promise<void>;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function log(message: string): void {
  process.stderr.write(`[adapter ${process.pid}] ${message}\n`);
}

/**
 * Runs one adapter process: descriptor line, wall-clock paced producer, workers, one sample
 * line per metric every `SAMPLE_EVERY_S` (clock-aligned), exit 0 within 5 s of SIGTERM.
 */
export async function runAdapter(env: AdapterEnv, sut: SystemUnderTest): Promise<void> {
  const histogram = createRollingHistogram(30);
  let enqueued = 0;
  let completedCount = 0;
  let stopping = false;
  const pad = 'x'.repeat(Math.max(0, env.jobPayloadBytes - 60));

  emit({
    kind: 'descriptor',
    ...sut.descriptor,
    scenario: env.scenario,
    replica: env.replicaId,
  });
  const setupStarted = performance.now();
  await retry('setup', () => sut.setup());
  log(
    `set up in ${(performance.now() - setupStarted).toFixed(0)} ms (${process.uptime().toFixed(1)} s since start)`,
  );

  const hooks: WorkerHooks = {
    claimed(job) {
      const ms = Math.max(0, Date.now() - job.t);
      histogram.record(ms);
      return ms;
    },
    completed(count = 1) {
      completedCount += count;
    },
  };
  if (env.workerCount > 0) await retry('workers', () => sut.startWorkers(hooks));

  const producing = (async () => {
    const producesAnything =
      env.producerMode === 'depth-target' ? env.targetDepth > 0 : env.producerRate > 0;
    if (!producesAnything) return;
    const start = performance.now();
    let credited = 0;
    while (!stopping) {
      let due: number;
      if (env.producerMode === 'fixed') {
        // Credit on real elapsed time, never on loop iterations.
        due = Math.floor((env.producerRate * (performance.now() - start)) / 1000) - credited;
      } else {
        due = env.targetDepth - (await sut.queueDepth().catch(() => env.targetDepth));
      }
      while (due > 0 && !stopping) {
        const n = Math.min(due, env.producerBatchMax);
        const now = Date.now();
        const jobs = Array.from({ length: n }, () => ({ id: randomUUID(), t: now, pad }));
        try {
          await sut.produce(jobs);
          enqueued += n;
          credited += n;
          due -= n;
        } catch (error) {
          log(`produce failed: ${(error as Error).message}`);
          break;
        }
      }
      await sleep(env.producerBatchMs);
    }
  })();

  let lastEnqueued = 0;
  let lastCompleted = 0;
  let lastSampleAt = performance.now();
  const sample = async (): Promise<void> => {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - lastSampleAt) / 1000);
    const at = new Date().toISOString();
    const depth = await sut.queueDepth().catch(() => null);
    const metrics: Record<string, number | null> = {
      claim_p50_ms: histogram.percentile(50),
      claim_p95_ms: histogram.percentile(95),
      claim_p99_ms: histogram.percentile(99),
      enqueue_rate: (enqueued - lastEnqueued) / seconds,
      completion_rate: (completedCount - lastCompleted) / seconds,
      queue_depth: depth,
    };
    lastEnqueued = enqueued;
    lastCompleted = completedCount;
    lastSampleAt = now;
    for (const [metric, value] of Object.entries(metrics)) {
      emit({ kind: 'sample', t: at, replica: env.replicaId, metric, value });
    }
  };
  // Clock-aligned ticks: every replica samples at the same wall-clock instants.
  const period = env.sampleEveryS * 1000;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    timer = setTimeout(
      () => {
        sample().finally(() => {
          if (!stopping) schedule();
        });
      },
      period - (Date.now() % period),
    );
  };
  schedule();

  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearTimeout(timer);
    const deadline = setTimeout(() => {
      log('stop took over 4.5 s: exiting anyway');
      process.exit(0);
    }, 4500);
    deadline.unref();
    await producing.catch(() => undefined);
    await sample().catch(() => undefined);
    await sut.stop().catch((error: unknown) => log(`stop: ${(error as Error).message}`));
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown());
  process.once('SIGINT', () => void shutdown());
}

async function retry(what: string, fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return;
    } catch (error) {
      if (attempt >= 20) throw error;
      log(`${what} failed (attempt ${attempt}): ${(error as Error).message}`);
      await sleep(500);
    }
  }
}
