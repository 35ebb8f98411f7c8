import { validateSchemaName } from '../schema-name.js';

/**
 * SQL of an external consumer group: a group (one partition, every type) whose position a
 * component outside the bus advances, such as a relay into another log. The bus never
 * delivers to it, but lists it like any group: in `getConsumerStatus` (lag, lease owner),
 * in the sampled `consumerLag` metrics, and in `pruneEvents`, which keeps the events it has
 * not passed. The statements are plain text so the caller can run `advance` as part of its
 * own statement (a data-modifying `with` before it), keeping its own state and the group's
 * position in one atomic write.
 */
export interface ExternalGroupSql {
  /**
   * $1 group, $2 channel → one row `partitions`, `types`, `members`, `created`: creates the
   * group, and its partition 0 at the start of the channel, when absent. An existing group
   * is left as it is; `partitions` other than 1, `types` not null or `members` above 0 mean
   * it is a group of bus consumers, which an external writer must not move.
   */
  readonly register: string;
  /**
   * $1 group, $2 channel, $3 tick, $4 seq, $5 owner (text, null to release), $6 lease ms →
   * an `update` of partition 0 (no `returning`): the position becomes ($3, $4), the lease
   * owner $5 until $6 ms from now (what the status shows as `leaseOwner`/`leaseUntil`).
   */
  readonly advance: string;
}

const cache = new Map<string, ExternalGroupSql>();

/**
 * The statements of external consumer groups in `schema` (see {@link ExternalGroupSql}).
 * Throws `VSA_EVENTS_INVALID_ARGUMENT` for an unsafe schema name.
 *
 * @example
 * const sql = externalGroupSql('vsa_events');
 * await db.query(sql.register, ['nats-relay:ORDERS', 'orders']);
 * await db.query(sql.advance, ['nats-relay:ORDERS', 'orders', 12, 345, 'host:42', 30_000]);
 */
export function externalGroupSql(schema: string): ExternalGroupSql {
  const cached = cache.get(schema);
  if (cached !== undefined) return cached;
  const s = `"${validateSchemaName(schema)}"`;
  const sql: ExternalGroupSql = {
    // The select runs on the statement's snapshot: it sees the group only when it existed.
    register: `with g as (
        insert into ${s}.consumer_groups (group_name, channel, partitions, types)
        values ($1, $2, 1, null) on conflict (group_name, channel) do nothing
        returning partitions, types),
      p as (
        insert into ${s}.consumer_positions (group_name, channel, partition)
        values ($1, $2, 0) on conflict (group_name, channel, partition) do nothing)
      select partitions, types, 0 as members, true as created from g
      union all
      select c.partitions, c.types,
             (select count(*)::integer from ${s}.consumer_members m
               where m.group_name = c.group_name and m.channel = c.channel) as members,
             false as created
        from ${s}.consumer_groups c where c.group_name = $1 and c.channel = $2`,
    advance: `update ${s}.consumer_positions
        set tick_id = $3, seq = $4, lease_owner = $5::text,
            lease_until = case when $5::text is null then null
                               else clock_timestamp() + make_interval(secs => $6::double precision / 1000) end,
            updated_at = now()
      where group_name = $1 and channel = $2 and partition = 0`,
  };
  cache.set(schema, sql);
  return sql;
}
