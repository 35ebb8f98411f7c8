/** The 10 channels events are spread over (round-robin by index). */
export const CHANNELS: readonly string[] = [
  'orders',
  'payments',
  'shipping',
  'inventory',
  'customers',
  'invoices',
  'carts',
  'reviews',
  'returns',
  'notifications',
];

/** The 5 event types (cycled independently of the channel). */
export const EVENT_TYPES: readonly string[] = [
  'ItemCreated',
  'ItemUpdated',
  'ItemConfirmed',
  'ItemCancelled',
  'ItemCompleted',
];

/** One generated event: channel, type, payload object and the same payload pre-serialised. */
export interface BenchEvent {
  channel: string;
  type: string;
  /** The payload as an object (for APIs that serialise themselves). */
  data: Record<string, unknown>;
  /** `JSON.stringify(data)`, about 200 bytes on average; pass it to `pg` as text for jsonb. */
  json: string;
}

// mulberry32: tiny, fast, good enough to make payloads vary the same way on every run.
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FILLER = 'lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor ';

/**
 * Deterministic events as perf-baselines.md describes them: 10 channels, 5 types, JSON
 * payloads of 150–250 bytes (200 on average) as text. The same `count` and `seed` always give
 * the same events. Generate them before timing starts.
 */
export function createEvents(count: number, seed = 42): BenchEvent[] {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`createEvents() takes a non-negative integer count, got ${count}`);
  }
  const random = createRandom(seed);
  const events: BenchEvent[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const data: Record<string, unknown> = {
      id: `item_${String(i).padStart(8, '0')}`,
      customerId: `cus_${Math.floor(random() * 1e6)}`,
      amount: Math.round(random() * 100_000) / 100,
      currency: random() < 0.5 ? 'EUR' : 'USD',
      quantity: 1 + Math.floor(random() * 9),
      note: '',
    };
    const target = 150 + Math.floor(random() * 101);
    const room = Math.max(0, target - JSON.stringify(data).length);
    const offset = Math.floor(random() * FILLER.length);
    data.note = (FILLER.slice(offset) + FILLER.repeat(4)).slice(0, room);
    events[i] = {
      channel: CHANNELS[i % CHANNELS.length] as string,
      type: EVENT_TYPES[(i * 7 + Math.floor(i / CHANNELS.length)) % EVENT_TYPES.length] as string,
      data,
      json: JSON.stringify(data),
    };
  }
  return events;
}
