import type { Queryable } from '../../executor.js';
import { encodeCursor, type Position } from '../../read/cursor.js';
import { type EventPage, getEventsByChannel } from '../../read/get-events-by-channel.js';
import type { ConsumerRuntime, PartitionState } from './state.js';

/** The next page of the partition after `from` (its position by default). @internal */
export function readPage(
  rt: ConsumerRuntime,
  ex: Queryable,
  ps: PartitionState,
  limit: number,
  from: Position = ps.pos,
): Promise<EventPage> {
  const o = rt.options;
  return getEventsByChannel(ex, o.channel, {
    after: encodeCursor(from),
    limit,
    schema: o.schema,
    tick: false,
    partitions: o.partitions,
    partition: ps.partition,
    ...(o.types === null ? {} : { types: o.types }),
    ...(o.catalog === undefined ? {} : { catalog: o.catalog }),
  });
}
