import { randomFillSync } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const pool = new Uint8Array(16 * 512);
let poolOffset = pool.length;
let lastMs = 0;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then a 12-bit counter that keeps ids made in
 * the same millisecond in order (method 1), then 62 random bits. Sorts by creation time.
 */
export function uuidv7(): string {
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    counter = (b[6] as number) & 0x07; // random start, room to count up
  } else {
    counter++;
    if (counter > 0xfff) {
      // 4096 ids in one ms: borrow the next millisecond rather than lose order.
      lastMs++;
      counter = 0;
    }
    ms = lastMs;
  }
  const hi = Math.floor(ms / 0x100000000);
  const lo = ms >>> 0;
  return (
    HEX[(hi >>> 8) & 0xff] +
    (HEX[hi & 0xff] as string) +
    HEX[lo >>> 24] +
    HEX[(lo >>> 16) & 0xff] +
    '-' +
    HEX[(lo >>> 8) & 0xff] +
    HEX[lo & 0xff] +
    '-' +
    HEX[0x70 | (counter >>> 8)] +
    HEX[counter & 0xff] +
    '-' +
    HEX[0x80 | ((b[8] as number) & 0x3f)] +
    HEX[b[9] as number] +
    '-' +
    HEX[b[10] as number] +
    HEX[b[11] as number] +
    HEX[b[12] as number] +
    HEX[b[13] as number] +
    HEX[b[14] as number] +
    HEX[b[15] as number]
  );
}

/**
 * Stable 31-bit hash of an event key (FNV-1a over UTF-16 code units), stored as `key_hash`.
 * A consumer group with `partitions: N` reads partition `key_hash % N`, so the value must never
 * change between versions of this package.
 */
export function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 1) & 0x7fffffff;
}
