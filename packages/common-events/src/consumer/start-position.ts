import type { Queryable } from '../executor.js';
import { toNumber } from '../executor.js';
import { decodeCursor, type Position, START } from '../read/cursor.js';
import { consumerSql } from './consumer-sql.js';
import type { StartFrom } from './options.js';

/** The position a group starts from (or is reset to). @internal */
export async function resolveStartPosition(
  q: Queryable,
  schema: string,
  from: StartFrom,
): Promise<Position> {
  const sql = consumerSql(schema);
  if (from === 'beginning') return START;
  if (typeof from === 'object' && 'position' in from) return decodeCursor(from.position);
  if (typeof from === 'object' && 'time' in from) {
    const { rows } = await q.query<{ tick_id: unknown }>(sql.firstTickAt, [from.time]);
    // Position (t, 0): every batch before t is done, all of batch t is still to come.
    if (rows[0] !== undefined) return { tick: toNumber(rows[0].tick_id), seq: 0 };
  }
  const { rows } = await q.query<{ tick_id: unknown; max_seq: unknown }>(sql.lastTick);
  const last = rows[0];
  return last === undefined ? START : { tick: toNumber(last.tick_id), seq: toNumber(last.max_seq) };
}
