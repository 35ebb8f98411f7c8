/** Peer job queues measured the way perf-baselines.md did (ids 3 and 4). */

export type { GraphileAddOptions, GraphileProcessOptions } from './graphile-worker.js';
export { graphileAddJobs, graphileProcess } from './graphile-worker.js';
export type { PgBossProcessOptions, PgBossSender, PgBossSendOptions } from './pg-boss.js';
export { createPgBossSender, pgBossProcess, pgBossSend } from './pg-boss.js';
