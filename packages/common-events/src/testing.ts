// Test helpers: the delivery-history checker used by the consumer's crash and kill tests, for
// an application's own tests of its handlers under failures.
export {
  type Ack,
  checkHistory,
  type Delivery,
  type HistoryEntry,
  type HistoryReport,
  type Kill,
  type WorkerId,
} from './consumer/history-check.js';
