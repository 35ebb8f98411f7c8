export {
  type BusPublishOptions,
  createEventBus,
  type EventBus,
  type EventBusOptions,
} from './bus.js';
export {
  type AsyncApiDocument,
  type AsyncApiInfo,
  defineCatalog,
  type EventCatalog,
  type JsonSchema,
} from './catalog/define-catalog.js';
export {
  type AnyEventDefinition,
  type CreateEventOptions,
  defineEvent,
  type EventDefinition,
  type EventDefinitionInput,
  type EventOf,
  type Upcaster,
} from './catalog/define-event.js';
export * from './consumer/index.js';
export type { EventEnvelope, EventMetadata, PublishedEvent, StoredEvent } from './envelope.js';
export {
  EventBufferClosedError,
  EventBufferFlushError,
  EventBusError,
  InvalidArgumentError,
  InvalidCursorError,
  InvalidDefinitionError,
  InvalidPayloadError,
  type PayloadIssue,
  UnknownEventTypeError,
  UnsupportedExecutorError,
  UpcastFailedError,
} from './errors.js';
export {
  type EventBusSettingsOptions,
  type EventsSettings,
  eventBusOptionsFromSettings,
  eventsSettings,
} from './events-settings.js';
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
export {
  createEventBuffer,
  type EventBuffer,
  type EventBufferOptions,
  flushEventBuffer,
} from './publish/event-buffer.js';
export {
  MAX_EVENTS_PER_PUBLISH,
  type PublishOptions,
  publishEvent,
} from './publish/publish-event.js';
export { decodeCursor, encodeCursor, type Position, START } from './read/cursor.js';
export {
  type ChannelRow,
  type EventPage,
  getEventsByChannel,
  type ReadOptions,
  readChannelSql,
} from './read/get-events-by-channel.js';
export { DEFAULT_SCHEMA, validateSchemaName } from './schema-name.js';
export {
  createTicker,
  type Ticker,
  type TickerOptions,
  tickChannel,
  tickSql,
} from './ticker/ticker.js';
