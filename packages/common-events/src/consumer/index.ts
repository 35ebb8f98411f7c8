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
} from './admin.js';
export { type BackoffPolicy, DEFAULT_BACKOFF, retryDelay } from './backoff.js';
export type { BusConsumers } from './bus-consumers.js';
export {
  ConsumerConfigMismatchError,
  ConsumerGroupNotFoundError,
  ConsumerStateError,
  type ConsumerTypesMismatch,
  HandlerCrashedError,
} from './errors.js';
export {
  type Ack,
  checkHistory,
  type Delivery,
  type HistoryEntry,
  type HistoryReport,
  type Kill,
  type WorkerId,
} from './history-check.js';
export type {
  BusSubscribeOptions,
  FailurePolicy,
  HandlerContext,
  PlainSubscribeOptions,
  StartFrom,
  SubscribeOptions,
  SubscribeOptionsBase,
  TransactionalHandlerContext,
  TransactionalSubscribeOptions,
} from './options.js';
export {
  type ConsumerStatus,
  type ConsumerStatusOptions,
  type GroupStatus,
  getConsumerStatus,
  type LocalGroupCounters,
  type OpenTransaction,
  type PartitionStatus,
} from './status.js';
export { type Consumer, type ConsumerStats, type PartitionStats, subscribe } from './subscribe.js';
