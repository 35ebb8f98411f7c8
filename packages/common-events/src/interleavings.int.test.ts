import type { Database } from '@vsa/common-db';
import { createTestDatabase, type TestDatabase, testEngines } from '@vsa/common-db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installEventStore } from './install.js';
import { publishEvent } from './publish/publish-event.js';
import { getEventsByChannel } from './read/get-events-by-channel.js';
import { OrderPlaced } from './test-support/catalog.js';
import { type HeldTransaction, holdTransaction } from './test-support/held-transaction.js';

const schema = 'interleave_test';
const KEYS = ['k0', 'k1', 'k2'];

interface TxPlan {
  readonly earlyXid: boolean;
  /** Keys of the events, one publish call per entry (arrays publish several at once). */
  readonly publishes: readonly (readonly string[])[];
  readonly commit: boolean;
}

const txPlan: fc.Arbitrary<TxPlan> = fc.record({
  earlyXid: fc.boolean(),
  publishes: fc.array(fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 3,
  }),
  commit: fc.boolean(),
});

const program = fc.record({
  txs: fc.array(txPlan, { minLength: 2, maxLength: 7 }),
  choices: fc.array(fc.nat(), { minLength: 300, maxLength: 300 }),
});

interface Running {
  readonly plan: TxPlan;
  readonly index: number;
  held: HeldTransaction | null;
  step: number; // publishes done
  done: boolean;
}

async function readAll(db: Database<unknown>, cursor: string | undefined) {
  const events: { id: string; key: string | null; orderId: string }[] = [];
  let after = cursor;
  for (;;) {
    const page = await getEventsByChannel(db, 'orders', {
      schema,
      tick: false,
      limit: 3,
      ...(after === undefined ? {} : { after }),
    });
    for (const e of page.events) {
      events.push({ id: e.id, key: e.key, orderId: (e.payload as { orderId: string }).orderId });
    }
    after = page.nextCursor;
    if (page.events.length === 0) return { events, cursor: after };
  }
}

describe.each(testEngines())('random interleavings of publishers on %s (fast-check)', (engine) => {
  let t: TestDatabase;
  let db: Database<unknown>;
  // PGlite is one connection: one transaction at a time, reads and ticks only between them.
  const maxOpen = engine === 'postgres' ? 3 : 1;

  beforeAll(async () => {
    t = await createTestDatabase({ engine });
    db = t.db;
    await installEventStore(db, { schema });
    await db.query('create table public.scratch (n int)');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('every committed event exactly once, per-key commit order, no rolled-back event', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(program, async ({ txs, choices }) => {
        run++;
        const start = await readAll(db, undefined);
        let cursor = start.cursor;
        const delivered: { id: string; key: string | null; orderId: string }[] = [];
        const committedOrder: string[] = []; // orderIds in commit order (per tx publish order)
        const rolledBack = new Set<string>();
        const held = new Map<string, number>(); // key -> tx holding it until its end
        const running: Running[] = txs.map((plan, index) => ({
          plan,
          index,
          held: null,
          step: 0,
          done: false,
        }));
        const keysOf = (plan: TxPlan) => new Set(plan.publishes.flat());
        const openCount = () => running.filter((r) => r.held !== null).length;
        const published = new Map<number, string[]>();
        let c = 0;
        const choose = (n: number) => (choices[c++ % choices.length] as number) % n;

        type Action = () => Promise<void>;
        for (;;) {
          const actions: Action[] = [];
          for (const r of running) {
            if (r.done) continue;
            if (r.held === null) {
              if (openCount() < maxOpen) {
                actions.push(async () => {
                  r.held = await holdTransaction(db);
                  // An early business write takes an xid before any key lock: the case where
                  // the later committer of a key holds the lower xid.
                  if (r.plan.earlyXid)
                    await r.held.tx.query('insert into public.scratch values (1)');
                });
              }
            } else if (r.step < r.plan.publishes.length) {
              // Writers serialize on keys: a transaction takes all its keys at its first publish
              // (all free or it waits; all at once, so no deadlock) and holds them to its end.
              const free = r.step > 0 || [...keysOf(r.plan)].every((k) => !held.has(k));
              if (!free) continue;
              actions.push(async () => {
                if (r.step === 0) for (const k of keysOf(r.plan)) held.set(k, r.index);
                const keys = r.plan.publishes[r.step] as readonly string[];
                const events = keys.map((key, i) =>
                  OrderPlaced.create(
                    { orderId: `r${run}-t${r.index}-p${r.step}-${i}`, total: 1 },
                    { key },
                  ),
                );
                await publishEvent((r.held as HeldTransaction).tx, events, {
                  schema,
                  lockKeys: true,
                });
                const list = published.get(r.index) ?? [];
                list.push(...events.map((e) => e.payload.orderId));
                published.set(r.index, list);
                r.step++;
              });
            } else {
              actions.push(async () => {
                const h = r.held as HeldTransaction;
                const mine = published.get(r.index) ?? [];
                if (r.plan.commit) {
                  await h.commit();
                  committedOrder.push(...mine);
                } else {
                  await h.rollback();
                  for (const id of mine) rolledBack.add(id);
                }
                r.held = null;
                r.done = true;
                for (const k of keysOf(r.plan)) if (held.get(k) === r.index) held.delete(k);
              });
            }
          }
          if (actions.length === 0) break;
          // One step in four (when allowed) is a tick or a read instead of a transaction step.
          const observe = (openCount() === 0 || engine === 'postgres') && choose(4) === 0;
          if (observe) {
            if (choose(2) === 0) await db.query(`select "${schema}".tick()`);
            else {
              const page = await readAll(db, cursor);
              delivered.push(...page.events);
              cursor = page.cursor;
            }
          } else await (actions[choose(actions.length)] as Action)();
        }
        await db.query(`select "${schema}".tick()`);
        const rest = await readAll(db, cursor);
        delivered.push(...rest.events);

        const deliveredIds = delivered.map((e) => e.orderId);
        // Exactly once, nothing rolled back, nothing missing.
        expect(new Set(deliveredIds).size).toBe(deliveredIds.length);
        expect(deliveredIds.filter((id) => rolledBack.has(id))).toEqual([]);
        expect([...deliveredIds].sort()).toEqual([...committedOrder].sort());
        // Per key: delivery order equals commit order.
        const keyOf = new Map(delivered.map((e) => [e.orderId, e.key]));
        for (const key of KEYS) {
          const got = deliveredIds.filter((id) => keyOf.get(id) === key);
          const want = committedOrder.filter((id) => keyOf.get(id) === key);
          expect(got).toEqual(want);
        }
      }),
      { numRuns: engine === 'postgres' ? 40 : 15, endOnFailure: true },
    );
  }, 120_000);
});
