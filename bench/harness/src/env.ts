/** The queue harness's adapter contract: what an adapter reads from its environment. */
export interface AdapterEnv {
  readonly databaseUrl: string;
  readonly scenario: string;
  readonly producerMode: 'fixed' | 'depth-target';
  /** Jobs per second in `fixed` mode; 0 = this process produces nothing. */
  readonly producerRate: number;
  readonly producerBatchMax: number;
  readonly producerBatchMs: number;
  readonly targetDepth: number;
  /** Workers in this process; 0 = producer only. */
  readonly workerCount: number;
  readonly jobPayloadBytes: number;
  readonly jobWorkMs: number;
  readonly sampleEveryS: number;
  /** Stable identity of this replica (not in the contract; lets a restarted replica be itself). */
  readonly replicaId: string;
}

function num(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name}: expected a number >= 0, got "${raw}"`);
  }
  return value;
}

/** Reads the contract's variables with the harness's defaults; throws on a bad value. */
export function readAdapterEnv(env: NodeJS.ProcessEnv = process.env): AdapterEnv {
  const databaseUrl = env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is required');
  const mode = env.PRODUCER_MODE ?? 'fixed';
  if (mode !== 'fixed' && mode !== 'depth-target') {
    throw new Error(`PRODUCER_MODE: expected fixed or depth-target, got "${mode}"`);
  }
  return {
    databaseUrl,
    scenario: env.SCENARIO ?? 'clean',
    producerMode: mode,
    producerRate: num(env, 'PRODUCER_RATE', 500),
    producerBatchMax: Math.max(1, num(env, 'PRODUCER_BATCH_MAX', 128)),
    producerBatchMs: Math.max(1, num(env, 'PRODUCER_BATCH_MS', 50)),
    targetDepth: num(env, 'TARGET_DEPTH', 1000),
    workerCount: Math.floor(num(env, 'WORKER_COUNT', 4)),
    jobPayloadBytes: Math.floor(num(env, 'JOB_PAYLOAD_BYTES', 256)),
    jobWorkMs: num(env, 'JOB_WORK_MS', 1),
    sampleEveryS: Math.max(1, num(env, 'SAMPLE_EVERY_S', 5)),
    replicaId: env.REPLICA_ID ?? `replica-${process.pid}`,
  };
}
