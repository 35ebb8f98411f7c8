// Operator functions (dead letters, redrive, reset, prune, status, installation), the
// building blocks under the bus (read SQL, buffer, ticker, cursors, executors, ids), the
// option value types an application rarely names (StartFrom, FailurePolicy) and the metrics
// recorder interface an app wires to its metrics library, with the errors they throw. An
// application's own code needs the root entry point only.
export type { BusPublishOptions } from './bus.js';
export type {
  AsyncApiDocument,
  AsyncApiInfo,
  JsonSchema,
} from './catalog/define-catalog.js';
export type {
  AnyEventDefinition,
  CreateEventOptions,
  EventDefinitionInput,
  Upcaster,
} from './catalog/define-event.js';
export {
  type DeadLetter,
  DeadLetterEventMissingError,
  type DeadLetterSelection,
  type DeadLetterStatus,
  discardDeadLetters,
  type ListDeadLettersOptions,
  listDeadLetters,
  type PruneEventsOptions,
  type PruneResult,
  pruneEvents,
  type ResetGroupOptions,
  redriveDeadLetters,
  resetGroup,
  type SchemaOption,
  type StalledGroup,
} from './consumer/admin.js';
export { type BackoffPolicy, DEFAULT_BACKOFF, retryDelay } from './consumer/backoff.js';
export type { BusConsumers } from './consumer/bus-consumers.js';
export {
  ConsumerConfigMismatchError,
  ConsumerGroupNotFoundError,
  ConsumerStateError,
  type ConsumerTypesMismatch,
  HandlerCrashedError,
} from './consumer/errors.js';
export { type ExternalGroupSql, externalGroupSql } from './consumer/external-group.js';
export type {
  FailurePolicy,
  PlainSubscribeOptions,
  StartFrom,
  SubscribeOptionsBase,
  TransactionalSubscribeOptions,
} from './consumer/options.js';
export {
  type ConsumerStatus,
  type ConsumerStatusOptions,
  type GroupStatus,
  getConsumerStatus,
  type LocalGroupCounters,
  type OpenTransaction,
  type PartitionStatus,
} from './consumer/status.js';
export type { PartitionStats } from './consumer/subscribe.js';
export {
  EventBufferClosedError,
  InvalidArgumentError,
  InvalidCursorError,
  InvalidDefinitionError,
  type PayloadIssue,
  UnsupportedExecutorError,
  UpcastFailedError,
} from './errors.js';
export type { EventBusSettingsOptions } from './events-settings.js';
export {
  type EventExecutor,
  isPrismaClient,
  type PrismaRawClient,
  type Queryable,
  toQueryable,
} from './executor.js';
export { keyHash, uuidv7 } from './ids.js';
export { installEventStore } from './install.js';
export type { EventBusLogger } from './logger.js';
export { migrationSet } from './migration-set.js';
export { type EventMigration, eventMigrations } from './migrations/index.js';
export type {
  ConsumerLagSample,
  EventBusMetrics,
  HandlerLabels,
  PoolUsageSample,
} from './observability/metrics.js';
export {
  createEventBuffer,
  type EventBuffer,
  type EventBufferOptions,
  flushEventBuffer,
} from './publish/event-buffer.js';
export { MAX_EVENTS_PER_PUBLISH, type PublishOptions } from './publish/publish-event.js';
export { decodeCursor, encodeCursor, type Position, START } from './read/cursor.js';
export { type ChannelRow, readChannelSql } from './read/get-events-by-channel.js';
export {
  type EventsBySeqOptions,
  getEventsBySeq,
  getRecentEvents,
  MAX_SEQS_PER_LOOKUP,
  type RecentEvent,
  type RecentEventsOptions,
} from './read/recent-events.js';
export { DEFAULT_SCHEMA, validateSchemaName } from './schema-name.js';
export {
  createTicker,
  type Ticker,
  type TickerOptions,
  tickChannel,
  tickSql,
} from './ticker/ticker.js';
