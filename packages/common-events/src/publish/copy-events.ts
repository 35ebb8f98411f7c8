import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { EventEnvelope, PublishedEvent } from '../envelope.js';
import { toNumber } from '../executor.js';
import { keyHash } from '../ids.js';

/** A pooled node-postgres connection, as far as COPY needs it. */
interface PgPoolClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
  query<T>(stream: T): T;
  release(destroy?: Error | boolean): void;
}

/** A node-postgres `Pool` (structural: the events package does not import `pg` at run time). */
export interface PgPoolLike {
  connect(): Promise<PgPoolClient>;
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

/**
 * Whether `db` is a node-postgres `Pool`: the only executor the buffer sends COPY to. A single
 * `Client` is left out on purpose: the caller may have a transaction open on it, and COPY runs
 * in its own BEGIN … COMMIT.
 */
export function isPgPool(db: unknown): db is PgPoolLike {
  if (typeof db !== 'object' || db === null) return false;
  const v = db as Record<string, unknown>;
  return (
    typeof v.connect === 'function' &&
    typeof v.query === 'function' &&
    'totalCount' in v &&
    'idleCount' in v &&
    'options' in v
  );
}

// tx_id, seq and recorded_at are left out of the column list: their defaults apply, as for
// INSERT. idempotency_key is left out too: batches with keys never take this path.
const COPY_COLUMNS = 'id, channel, type, version, key, key_hash, payload, metadata, occurred_at';

interface CopySql {
  readonly copy: string;
  readonly locate: string;
  readonly byTx: string;
  readonly byIds: string;
}

const copySqlCache = new Map<string, CopySql>();

function copySql(schema: string): CopySql {
  let sql = copySqlCache.get(schema);
  if (sql === undefined) {
    const table = `"${schema}".events`;
    // The last seq this session drew: session state, so it outlives the COPY's own commit.
    const last = `currval(pg_get_serial_sequence('${table}', 'seq'))`;
    sql = {
      copy: `copy ${table} (${COPY_COLUMNS}) from stdin`,
      // Rows of one COPY draw seq in row order. When the row at last - n + 1 is the batch's
      // first event, the n rows hold exactly last - n + 1 .. last (no other writer interleaved).
      // currval() is volatile: read once in a subquery, so the lookups use the primary key.
      locate: `select c.last::text as last, (select e.id::text from ${table} e where e.seq = c.last - $1::bigint + 1) as first from (select ${last} as last) c`,
      // Otherwise: every row of the COPY's transaction, found through the row holding `last`.
      byTx: `select e.seq from (select ${last} as last offset 0) c, ${table} l, ${table} e where l.seq = c.last and e.tx_id = l.tx_id order by e.seq`,
      // Last resort when the connection failed after COPY committed: by id (a full scan).
      byIds: `select e.id::text as id, e.seq from ${table} e where e.id = any($1::uuid[])`,
    };
    copySqlCache.set(schema, sql);
  }
  return sql;
}

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One value of a COPY text-format row: backslash, tab, newline and carriage return escaped;
 * `null` is `\N`. Everything else (quotes, unicode) is taken literally.
 */
export function copyText(value: string | null): string {
  if (value === null) return '\\N';
  return SPECIAL.test(value) ? value.replace(SPECIAL_ALL, (c) => ESCAPES[c] as string) : value;
}

/** The COPY text-format rows of `events` (one string: one write, one CopyData run). */
export function copyRows(events: readonly EventEnvelope[]): string {
  let out = '';
  for (const e of events) {
    out +=
      `${e.id}\t${copyText(e.channel)}\t${copyText(e.type)}\t${e.version}\t` +
      `${copyText(e.key)}\t${keyHash(e.key ?? e.id)}\t${copyText(JSON.stringify(e.payload))}\t` +
      `${copyText(JSON.stringify(e.metadata))}\t${e.occurredAt.toISOString()}\n`;
  }
  return out;
}

/** A server-side error (SQLSTATE): the connection is still usable. */
function isServerError(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string' &&
    'severity' in error
  );
}

function published(events: readonly EventEnvelope[], seqs: readonly number[]): PublishedEvent[] {
  return events.map((e, i) => ({
    id: e.id,
    seq: seqs[i] as number,
    channel: e.channel,
    type: e.type,
    duplicate: false,
  }));
}

/** The seqs COPY gave `events`, asked on the connection that ran it. */
async function locate(
  client: PgPoolClient,
  schema: string,
  sql: CopySql,
  events: readonly EventEnvelope[],
): Promise<number[]> {
  const n = events.length;
  const { rows } = await client.query({
    name: `vsa_evcl_${schema}`,
    text: sql.locate,
    values: [n],
  });
  const row = rows[0] as { last: string; first: string | null };
  if (row.first === (events[0] as EventEnvelope).id) {
    const first = Number(row.last) - n + 1;
    return Array.from({ length: n }, (_, i) => first + i);
  }
  const byTx = await client.query({ name: `vsa_evct_${schema}`, text: sql.byTx, values: [] });
  return byTx.rows.map((r) => toNumber((r as { seq: unknown }).seq));
}

/**
 * Writes events without idempotency keys with one auto-commit `COPY … FROM STDIN` on a pooled
 * connection: durable when COPY completes. COPY returns no rows, so the seqs are read back
 * afterwards on the same connection (one primary-key lookup when no other writer interleaved).
 * A failed COPY stores none of the events and throws.
 */
export async function copyEvents(
  pool: PgPoolLike,
  schema: string,
  events: readonly EventEnvelope[],
): Promise<PublishedEvent[]> {
  const sql = copySql(schema);
  const body = copyRows(events); // before checkout: a bad value throws without a connection
  const client = await pool.connect();
  try {
    await pipeline(
      async function* () {
        yield body;
      },
      client.query(copyFrom(sql.copy)),
    );
  } catch (error) {
    client.release(isServerError(error) ? undefined : error instanceof Error ? error : true);
    throw error;
  }
  // Committed from here on: never report these events as failed because a lookup failed.
  let seqs: number[] | null = null;
  try {
    seqs = await locate(client, schema, sql, events);
    client.release();
  } catch (error) {
    client.release(isServerError(error) ? undefined : error instanceof Error ? error : true);
  }
  if (seqs === null || seqs.length !== events.length) {
    const { rows } = await pool.query(sql.byIds, [events.map((e) => e.id)]);
    const byId = new Map(
      rows.map((r) => [(r as { id: string }).id, toNumber((r as { seq: unknown }).seq)]),
    );
    seqs = events.map((e) => byId.get(e.id) ?? Number.NaN);
    if (seqs.some(Number.isNaN)) {
      // Only a trigger that drops or rewrites rows gets here.
      throw new Error(`COPY stored ${byId.size} of ${events.length} events`);
    }
  }
  return published(events, seqs);
}
