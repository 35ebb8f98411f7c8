/**
 * Results kept for `ttlMs` per key and shared by every caller in that window (concurrent ones
 * included), so any number of console tabs polling the same view cost one database read per
 * window. A failed read is not kept. `clear()` drops everything (after a write).
 */
export interface SharedCache<T> {
  get(key: string, read: () => Promise<T>): Promise<T>;
  clear(): void;
}

/** Builds a {@link SharedCache}; at most `maxKeys` entries (the oldest is dropped first). */
export function sharedCache<T>(
  ttlMs = 1000,
  maxKeys = 100,
  now: () => number = Date.now,
): SharedCache<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return {
    get(key, read) {
      const at = now();
      const hit = entries.get(key);
      if (hit !== undefined && at - hit.at < ttlMs) return hit.value;
      const value = read();
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      entries.delete(key);
      entries.set(key, { at, value });
      if (entries.size > maxKeys) entries.delete(entries.keys().next().value as string);
      return value;
    },
    clear: () => entries.clear(),
  };
}
