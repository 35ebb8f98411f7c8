export {
  INVALID_ARGUMENT_CODE,
  RelayGroupConflictError,
  RelayStreamMismatchError,
  type StreamConfigConflict,
  StreamConfigConflictError,
} from './errors.js';
export { decodeEvent, HEADERS, subjectOf } from './message.js';
export { type RelayMigration, relayMigrations } from './migrations.js';
export {
  createRelay,
  type Relay,
  type RelayBus,
  type RelayOptions,
  type RelayStatus,
} from './relay.js';
export {
  type NatsSettings,
  natsSettings,
  type StreamSettings,
  streamSettingsFromSettings,
  streamSettingsSchema,
} from './settings.js';
export { ensureStream, streamSubjects } from './stream.js';
export {
  type JetStreamConsumer,
  type JetStreamConsumerStats,
  type JetStreamSubscribeOptions,
  subscribeJetStream,
} from './subscribe.js';
