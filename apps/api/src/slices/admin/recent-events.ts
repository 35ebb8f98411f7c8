import {
  getEventsBySeq,
  getRecentEvents,
  type RecentEvent as StoredTail,
} from '@vsa/common-events/admin';
import type { AdminSliceOptions } from './deps.js';

/** An event as the console's tail shows it (JSON: the time as an ISO string). */
export interface RecentEvent {
  readonly id: string;
  readonly seq: number;
  readonly type: string;
  readonly version: number;
  readonly key: string | null;
  readonly payload: unknown;
  readonly recordedAt: string;
}

function toView(event: StoredTail): RecentEvent {
  return {
    id: event.id,
    seq: event.seq,
    type: event.type,
    version: event.version,
    key: event.key,
    payload: event.payload,
    recordedAt: event.recordedAt.toISOString(),
  };
}

/** The newest committed events of a channel, newest first (the bus's tail read). */
export async function recentEvents(
  bus: AdminSliceOptions['bus'],
  channel: string,
  limit: number,
): Promise<RecentEvent[]> {
  const events = await getRecentEvents(bus.db, channel, { limit, schema: bus.schema });
  return events.map(toView);
}

/** Events by seq (primary key): the payloads behind a page of dead letters. */
export async function eventsBySeq(
  bus: AdminSliceOptions['bus'],
  seqs: readonly number[],
): Promise<Map<number, RecentEvent>> {
  const found = await getEventsBySeq(bus.db, seqs, { schema: bus.schema });
  return new Map([...found].map(([seq, event]) => [seq, toView(event)]));
}
