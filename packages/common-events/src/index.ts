// What an application uses: the bus, its catalog, envelopes, consumers, settings and the
// errors those meet. Operator and building-block functions: `@vsa/common-events/admin`;
// test helpers: `@vsa/common-events/testing`. `exports.test.ts` pins each list.
export {
  type BusPublishOptions,
  createEventBus,
  type EventBus,
  type EventBusOptions,
} from './bus.js';
export { defineCatalog, type EventCatalog } from './catalog/define-catalog.js';
export { defineEvent, type EventDefinition, type EventOf } from './catalog/define-event.js';
export type {
  BusSubscribeOptions,
  FailurePolicy,
  HandlerContext,
  StartFrom,
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
