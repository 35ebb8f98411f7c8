import type { Database, Transaction } from '@vsa/common-db';

/** A transaction left open on purpose until the test commits or rolls it back. */
export interface HeldTransaction {
  readonly tx: Transaction<unknown>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

const ROLLBACK = new Error('rollback on purpose');

/** Opens a transaction on its own pooled connection and keeps it open. */
export async function holdTransaction(db: Database<unknown>): Promise<HeldTransaction> {
  let release!: (commit: boolean) => void;
  const decision = new Promise<boolean>((resolve) => {
    release = resolve;
  });
  let ready!: (tx: Transaction<unknown>) => void;
  const opened = new Promise<Transaction<unknown>>((resolve) => {
    ready = resolve;
  });
  const done = db
    .transaction(
      async (tx) => {
        // Make the transaction real (BEGIN sent) before handing it out.
        await tx.query('select 1');
        ready(tx);
        if (!(await decision)) throw ROLLBACK;
      },
      { timeout: 600_000 },
    )
    .then(
      () => undefined,
      (error: unknown) => {
        if (error !== ROLLBACK) throw error;
      },
    );
  const tx = await Promise.race([
    opened,
    done.then(() => Promise.reject(new Error('closed early'))),
  ]);
  return {
    tx,
    async commit() {
      release(true);
      await done;
    },
    async rollback() {
      release(false);
      await done;
    },
  };
}
