/** Raw PostgreSQL and PGlite measurements (perf-baselines ids 1a, 1b, 1c, 2, 5, 6). */

export type { CopyOptions, MultiInsertOptions, SingleInsertOptions } from './inserts.js';
export {
  copyChunks,
  copyEscape,
  copyEvents,
  rawCopy,
  rawMultiInsert,
  rawSingleInsert,
} from './inserts.js';
export type { ListenFigures, ListenOptions } from './listen.js';
export { rawListenRoundTrip } from './listen.js';
export type { MeasureOptions } from './options.js';
export type { PgliteOptions } from './pglite.js';
export { pgliteCursorRead, pgliteMultiInsert } from './pglite.js';
export type { CursorReadOptions } from './read.js';
export { rawCursorRead } from './read.js';
export {
  CHANNEL_INDEX_DDL,
  checkEvents,
  createEventsSchema,
  EVENTS_DDL,
  multiInsertSql,
  RESET_SQL,
} from './schema.js';
