import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';

/**
 * The anchor of `pnpm bench api`, run as a child process: bare Fastify 5 (logger off, no
 * plugins) with `GET /hello`, `GET /hello-headers` and `POST /orders`, which writes what the API's route writes in
 * one transaction on a `pg.Pool` of the same size: the order row with its lines (one
 * statement) and the event row (the bus's own single-row INSERT). Prints `LISTENING <port>`.
 *
 * Env: DATABASE_URL (migrated by the API's migrations and the bus install), EVENTS_SCHEMA,
 * DB_POOL_MAX (default 10).
 */
const url = process.env.DATABASE_URL;
if (!url) throw new Error('bare-server: DATABASE_URL is required');
const schema = process.env.EVENTS_SCHEMA ?? 'vsa_events';
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DB_POOL_MAX ?? 10) });

const INSERT_ORDER = `with o as (
  insert into "Order" (id, customer) values ($1, $2) returning id, customer, status, "createdAt"
), l as (
  insert into "OrderLine" ("orderId", sku, quantity)
  select $1, x.sku, x.quantity from jsonb_to_recordset($3::jsonb) as x(sku text, quantity int)
)
select * from o`;
const INSERT_EVENT = `insert into "${schema}".events (id, channel, type, version, key, key_hash, payload, metadata, idempotency_key, occurred_at) values ($1::uuid, $2, $3, $4::integer, $5, $6::integer, $7::jsonb, $8::jsonb, $9, $10::timestamptz) returning seq`;

interface OrderBody {
  customer: string;
  lines: { sku: string; quantity: number }[];
}

const app = Fastify({ logger: false });
app.get('/hello', async () => ({ hello: 'world' }));
// The same answer with the headers every API response carries (request and correlation id,
// nosniff): what those bytes cost on the wire, apart from the work that makes them.
app.get('/hello-headers', async (_request, reply) => {
  const id = randomUUID();
  reply.header('x-request-id', id);
  reply.header('x-correlation-id', id);
  reply.header('x-content-type-options', 'nosniff');
  return { hello: 'world' };
});
app.post<{ Body: OrderBody }>('/orders', async (request, reply) => {
  const { customer, lines } = request.body;
  const id = randomUUID();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const order = await client.query(INSERT_ORDER, [id, customer, JSON.stringify(lines)]);
    await client.query(INSERT_EVENT, [
      randomUUID(),
      'orders',
      'OrderPlaced',
      1,
      id,
      0,
      JSON.stringify({ orderId: id, customer, lines }),
      '{}',
      null,
      new Date(),
    ]);
    await client.query('COMMIT');
    const row = order.rows[0] as { id: string; customer: string; status: string; createdAt: Date };
    return reply.code(201).send({ ...row, lines, createdAt: row.createdAt.toISOString() });
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
});

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`LISTENING ${new URL(address).port}\n`);
process.on('SIGTERM', () => {
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0));
});
