import type { Queryable } from '../../executor.js';
import type { Position } from '../../read/cursor.js';
import { type EventPage, readChannel } from '../../read/get-events-by-channel.js';
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
  // The subscription's options were parsed once by `subscribe`: read without checking again.
  return readChannel(ex, o.channel, {
    from,
    limit,
    types: o.types,
    schema: o.schema,
    catalog: o.catalog,
    tick: false,
    partitions: o.partitions,
    partition: ps.partition,
  });
}
