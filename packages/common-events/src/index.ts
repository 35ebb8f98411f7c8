// What an application uses: the bus, its catalog, envelopes, consumers, channel reads,
// settings and the errors those meet. Operator and building-block functions: `@vsa/common-events/admin`;
// test helpers: `@vsa/common-events/testing`. `exports.test.ts` pins each list.
export {
  createEventBus,
  type EventBus,
  type EventBusOptions,
} from './bus.js';
export { defineCatalog, type EventCatalog } from './catalog/define-catalog.js';
export { defineEvent, type EventDefinition, type EventOf } from './catalog/define-event.js';
export type {
  BusSubscribeOptions,
  HandlerContext,
  SubscribeOptions,
  TransactionalHandlerContext,
} from './consumer/options.js';
export { type Consumer, type ConsumerStats, subscribe } from './consumer/subscribe.js';
export type { EventEnvelope, EventMetadata, PublishedEvent, StoredEvent } from './envelope.js';
export {
  EventBufferFlushError,
  EventBusError,
  InvalidPayloadError,
  UnknownEventTypeError,
} from './errors.js';
export {
  type EventsSettings,
  eventBusOptionsFromSettings,
  eventsSettings,
} from './events-settings.js';
export { publishEvent } from './publish/publish-event.js';
export {
  type EventPage,
  getEventsByChannel,
  type ReadOptions,
} from './read/get-events-by-channel.js';
