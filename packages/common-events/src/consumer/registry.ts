import type { Consumer } from './runtime/types.js';

const registry = new WeakMap<object, Map<string, Set<Consumer>>>();

/** Remembers a running consumer so status reports can add its in-process counters. @internal */
export function registerConsumer(db: object, schema: string, consumer: Consumer): () => void {
  let bySchema = registry.get(db);
  if (bySchema === undefined) {
    bySchema = new Map();
    registry.set(db, bySchema);
  }
  let set = bySchema.get(schema);
  if (set === undefined) {
    set = new Set();
    bySchema.set(schema, set);
  }
  set.add(consumer);
  return () => {
    set.delete(consumer);
  };
}

/** The consumers of `db`/`schema` running in this process. @internal */
export function localConsumers(db: object, schema: string): Consumer[] {
  return [...(registry.get(db)?.get(schema) ?? [])];
}
