/** Peer job queues measured the way perf-baselines.md did (ids 3 and 4). */

export type { GraphileAddOptions, GraphileProcessOptions } from './graphile-worker.js';
export { createGraphileProcessor, graphileAddJobs, graphileProcess } from './graphile-worker.js';
export type { PeerRunner } from './peer-runner.js';
export type { PgBossProcessOptions, PgBossSendOptions } from './pg-boss.js';
export {
  createPgBossProcessor,
  createPgBossSender,
  pgBossProcess,
  pgBossSend,
} from './pg-boss.js';
