/** Column arrays of one multi-row insert, one array per column (for `unnest`). */
export interface InsertColumns {
  readonly ids: string[];
  readonly channels: string[];
  readonly types: string[];
  readonly versions: number[];
  readonly keys: (string | null)[];
  readonly keyHashes: number[];
  readonly payloads: string[];
  readonly metadata: string[];
  readonly idempotencyKeys: (string | null)[];
  readonly occurredAt: Date[];
}

/** SQL texts for one schema, built once. */
export interface PublishSql {
  readonly insert: string;
  readonly insertIdempotent: string;
  readonly findIdempotent: string;
  readonly lockKeys: string;
}

const COLUMNS =
  'id, channel, type, version, key, key_hash, payload, metadata, idempotency_key, occurred_at';
// One parameter per column whatever the batch size: one cached plan, no 65,535-parameter cap.
const SOURCE =
  'select * from unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[], $7::jsonb[], $8::jsonb[], $9::text[], $10::timestamptz[])';

const cache = new Map<string, PublishSql>();

/** The publish statements for `schema` (a validated name). */
export function publishSql(schema: string): PublishSql {
  let sql = cache.get(schema);
  if (sql === undefined) {
    const table = `"${schema}".events`;
    sql = {
      insert: `insert into ${table} (${COLUMNS}) ${SOURCE} returning seq`,
      insertIdempotent: `insert into ${table} (${COLUMNS}) ${SOURCE} on conflict (channel, idempotency_key) where idempotency_key is not null do nothing returning id::text as id, seq`,
      findIdempotent: `select e.id::text as id, e.seq, e.channel, e.idempotency_key from ${table} e join unnest($1::text[], $2::text[]) as k(channel, idempotency_key) using (channel, idempotency_key) where e.idempotency_key is not null`,
      // Sorted, so two publishers of overlapping key sets cannot deadlock.
      // `offset 0` keeps the sorted subquery from being flattened, so locks follow the order.
      lockKeys:
        'select pg_advisory_xact_lock(h)::text as locked from (select distinct hashtextextended(k, 0) as h from unnest($1::text[]) as u(k) order by 1 offset 0) s',
    };
    cache.set(schema, sql);
  }
  return sql;
}

/** Parameters of {@link PublishSql.insert} in column order. */
export function insertParams(c: InsertColumns): unknown[] {
  return [
    c.ids,
    c.channels,
    c.types,
    c.versions,
    c.keys,
    c.keyHashes,
    c.payloads,
    c.metadata,
    c.idempotencyKeys,
    c.occurredAt,
  ];
}
