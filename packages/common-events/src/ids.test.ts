import { describe, expect, it } from 'vitest';
import { keyHash, uuidv7 } from './ids.js';
import { decodeCursor, encodeCursor } from './read/cursor.js';
import { validateSchemaName } from './schema-name.js';

describe('uuidv7', () => {
  it('is a version 7, variant 10 UUID, unique and increasing', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    for (const id of ids.slice(0, 100)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(ids).size).toBe(ids.length);
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
  });

  it('starts with the current time in ms', () => {
    const before = Date.now();
    const ms = Number.parseInt(uuidv7().replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThan(before + 5000);
  });
});

describe('keyHash', () => {
  it('is stable (partitions depend on it) and non-negative', () => {
    expect(keyHash('order-1')).toBe(keyHash('order-1'));
    expect(keyHash('')).toBe(0x811c9dc5 >>> 1);
    // FNV-1a 32 of 'a' is 0xe40c292c (the published test vector), halved to 31 bits.
    expect([keyHash('a'), keyHash('b'), keyHash('order-1')]).toEqual([
      0xe40c292c >>> 1,
      1938167538,
      364897974,
    ]);
    for (const k of ['x', 'ключ', '🙂', 'a'.repeat(1000)]) {
      const h = keyHash(k);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 31);
    }
  });

  it('spreads keys over partitions', () => {
    const counts = new Array(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[keyHash(`order-${i}`) % 8]++;
    for (const c of counts) expect(c).toBeGreaterThan(700);
  });
});

describe('cursor', () => {
  it('round-trips and rejects foreign values', () => {
    expect(decodeCursor(encodeCursor({ tick: 12, seq: 345 }))).toEqual({ tick: 12, seq: 345 });
    expect(decodeCursor(undefined)).toEqual({ tick: 0, seq: 0 });
    expect(decodeCursor(null)).toEqual({ tick: 0, seq: 0 });
    for (const bad of ['', '1', '1:x', '-1:2', '1:2:3', 5 as never]) {
      expect(() => decodeCursor(bad)).toThrow('Invalid cursor');
    }
  });
});

describe('validateSchemaName', () => {
  it('accepts safe names and rejects the rest', () => {
    expect(validateSchemaName('vsa_events')).toBe('vsa_events');
    for (const bad of ['', 'Events', '1a', 'a-b', 'a"b', 'pg_x', 'a'.repeat(49), 7]) {
      expect(() => validateSchemaName(bad)).toThrow('Invalid schema name');
    }
  });
});
