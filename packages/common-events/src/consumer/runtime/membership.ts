import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { ConsumerConfigMismatchError } from '../errors.js';
import { resolveStartPosition } from '../start-position.js';
import type { ConsumerRuntime } from './state.js';

/** A change of a group's `types` made by a joining member. @internal */
export interface TypesChange {
  readonly from: readonly string[] | null;
  readonly to: readonly string[] | null;
}

/** A member id unique to this process: host, pid and a random suffix. @internal */
export function defaultMemberId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Whether two `types` filters select the same events (order and repeats do not matter). */
function sameTypes(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((t) => right.has(t));
}

/** A `types` filter as log text. @internal */
export const typesText = (types: readonly string[] | null): string =>
  types === null ? 'every type' : `[${[...types].sort().join(', ')}]`;

/** Creates or joins the group and registers this member; returns a types change made. @internal */
export function ensureGroup(rt: ConsumerRuntime): Promise<TypesChange | null> {
  const { sql, base, options: o, memberId } = rt;
  return rt.db.transaction(async (tx): Promise<TypesChange | null> => {
    const inserted = await tx.query(sql.insertGroup, [...base, o.partitions, o.types]);
    if (inserted.rows.length === 0) {
      const { rows } = await tx.query<{ partitions: number; types: string[] | null }>(
        sql.selectGroup,
        [...base],
      );
      const stored = rows[0] ?? { partitions: o.partitions, types: o.types };
      if (stored.partitions !== o.partitions) {
        throw new ConsumerConfigMismatchError(o.group, o.channel, stored.partitions, o.partitions);
      }
      // Members of one group must agree on what it delivers: a member with other types would
      // move the shared positions past events the others still expect (or the reverse). So
      // the types change only when no other member is alive (a rolling deploy once the old
      // pods are gone); the group row stays locked until this member is registered below, so
      // a member with the old types starting at the same time waits and then sees this one.
      if (!sameTypes(stored.types, o.types)) {
        const others = await tx.query<{ member_id: string }>(sql.otherLiveMembers, [
          ...base,
          memberId,
        ]);
        if (others.rows.length > 0) {
          throw new ConsumerConfigMismatchError(o.group, o.channel, {
            stored: stored.types,
            requested: o.types,
            liveMembers: others.rows.map((r) => r.member_id),
          });
        }
        await tx.query(sql.updateTypes, [...base, o.types]);
      }
      await tx.query(sql.heartbeat, heartbeatParams(rt));
      return sameTypes(stored.types, o.types) ? null : { from: stored.types, to: o.types };
    }
    const from = await resolveStartPosition(tx, o.schema, o.startFrom);
    await tx.query(sql.insertPositions, [...base, o.partitions, from.tick, from.seq]);
    await tx.query(sql.heartbeat, heartbeatParams(rt));
    return null;
  });
}

/** Removes this member from the group's live members. @internal */
export async function leaveGroup(rt: ConsumerRuntime): Promise<void> {
  await rt.q.query(rt.sql.leaveGroup, [...rt.base, rt.memberId]);
}

/** $1–$5 of `heartbeat`: this member, its timeout and its process's session pid. */
function heartbeatParams(rt: ConsumerRuntime): unknown[] {
  return [...rt.base, rt.memberId, rt.options.memberTimeoutMs, rt.sessionPid];
}

/** Writes this member's heartbeat, with its process's session pid. @internal */
export async function heartbeat(rt: ConsumerRuntime): Promise<void> {
  await rt.q.query(rt.sql.heartbeat, heartbeatParams(rt));
}
