import { type TransactionSlot, transactionSlots } from './prisma-adapter.js';

/** The part of the (extended) Prisma client that opens an interactive transaction. */
export interface PrismaTransactionStarter {
  $transaction<T>(
    fn: (tx: unknown) => Promise<T>,
    options: { timeout: number; maxWait: number },
  ): Promise<T>;
}

/**
 * Prisma's side of one raw `db.transaction` (PostgreSQL or PGlite), opened on first use: until
 * `fn` touches `tx.prisma` the transaction is BEGIN, raw statements, COMMIT on one
 * connection, with no Prisma work at all (Prisma's interactive transaction costs about as
 * much CPU as the statements of a small transaction). On first use, Prisma's interactive
 * transaction opens on that same connection (the adapter adopts it, see `adoptedTransaction`),
 * so Prisma and raw statements share one transaction; the raw transaction commits or rolls
 * back both. `finish()` closes Prisma's side before that COMMIT or ROLLBACK.
 * @internal
 */
export class LazyPrismaTransaction {
  readonly #prisma: object;
  readonly #handle: unknown;
  readonly #timeoutMs: number;
  #client: object | undefined;
  #release: (() => void) | undefined;
  #closed: Promise<unknown> | undefined;

  constructor(prisma: object, handle: unknown, timeoutMs: number) {
    this.#prisma = prisma;
    this.#handle = handle;
    this.#timeoutMs = timeoutMs;
  }

  /** The stand-in for `tx.prisma`; the interactive transaction opens on the first call. */
  client(): object {
    if (this.#client !== undefined) return this.#client;
    const slot: TransactionSlot = {
      handle: undefined,
      closed: false,
      fnDone: false,
      adopt: this.#handle,
    };
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#release = release;
    let opened: (client: object) => void = () => {};
    const ready = new Promise<object>((resolve) => {
      opened = resolve;
    });
    // Held open until finish(): the callback returns once fn is done, and Prisma's commit of
    // an adopted transaction only closes it (the raw transaction's COMMIT follows).
    const closed = transactionSlots.run(slot, () =>
      (this.#prisma as PrismaTransactionStarter).$transaction(
        async (ptx) => {
          opened(ptx as object);
          await held;
        },
        // The raw transaction's own timer (same length, started earlier) fires first.
        { timeout: this.#timeoutMs + 1_000, maxWait: Math.min(this.#timeoutMs, 10_000) },
      ),
    );
    this.#closed = closed;
    // A transaction that failed to open fails every call made through the stand-in.
    const client = Promise.race([
      ready,
      closed.then(() => {
        throw new Error('@vsa/common-db: the Prisma transaction closed before it opened');
      }),
    ]);
    client.catch(() => {});
    closed.catch(() => {});
    this.#client = deferredClient(this.#prisma, () => client);
    return this.#client;
  }

  /** Closes Prisma's side (if it was opened); never throws. */
  async finish(): Promise<void> {
    if (this.#closed === undefined) return;
    this.#release?.();
    await this.#closed.catch(() => {});
  }
}

type AnyFunction = (...args: unknown[]) => unknown;

/**
 * A client shaped like `base` (the extended PrismaClient) whose calls run on the transaction
 * client `ready` resolves to: `tx.prisma.order.create(…)`, `tx.prisma.$queryRaw\`…\``,
 * `$executeRaw`, `$queryRawUnsafe`, … Each call returns a lazy PrismaPromise-like (the query
 * runs when awaited, as Prisma's do) that also forwards fluent relation calls
 * (`findUnique(…).lines()`). Properties that are not methods (`order.fields`) come from `base`.
 */
function deferredClient(base: object, ready: () => Promise<object>): object {
  const models = new Map<PropertyKey, object>();
  return new Proxy(base, {
    get(target, property) {
      if (property === 'then') return undefined;
      const value = Reflect.get(target, property) as unknown;
      if (typeof value === 'function') {
        return (...args: unknown[]) =>
          lazyCall(ready, (tx) =>
            ((tx as Record<PropertyKey, AnyFunction>)[property] as AnyFunction)(...args),
          );
      }
      if (
        typeof value !== 'object' ||
        value === null ||
        typeof property !== 'string' ||
        property.startsWith('$') ||
        property.startsWith('_')
      ) {
        return value;
      }
      let model = models.get(property);
      if (model === undefined) {
        model = new Proxy(value, {
          get(delegate, method) {
            const member = Reflect.get(delegate, method) as unknown;
            if (typeof member !== 'function') return member;
            return (...args: unknown[]) =>
              lazyCall(ready, (tx) => {
                const m = (tx as Record<string, Record<PropertyKey, AnyFunction>>)[
                  property
                ] as Record<PropertyKey, AnyFunction>;
                return (m[method] as AnyFunction).apply(m, args);
              });
          },
        });
        models.set(property, model);
      }
      return model;
    },
  });
}

/** A lazy thenable for `make(tx)`: it runs when first awaited; other members chain fluently. */
function lazyCall(ready: () => Promise<object>, make: (tx: object) => unknown): object {
  let running: Promise<unknown> | undefined;
  const run = (): Promise<unknown> => {
    running ??= ready().then((tx) => make(tx));
    return running;
  };
  const promise = {
    // biome-ignore lint/suspicious/noThenProperty: a PrismaPromise stand-in is a thenable.
    then: (onFulfilled?: AnyFunction, onRejected?: AnyFunction) =>
      run().then(onFulfilled, onRejected),
    catch: (onRejected?: AnyFunction) => run().catch(onRejected),
    finally: (onFinally?: () => void) => run().finally(onFinally),
    [Symbol.toStringTag]: 'PrismaPromise',
  };
  return new Proxy(promise, {
    get(target, property) {
      if (property in target) return Reflect.get(target, property);
      if (typeof property !== 'string') return undefined;
      return (...args: unknown[]) =>
        lazyCall(ready, (tx) => {
          const inner = make(tx) as Record<string, AnyFunction>;
          return (inner[property] as AnyFunction).apply(inner, args);
        });
    },
  });
}
