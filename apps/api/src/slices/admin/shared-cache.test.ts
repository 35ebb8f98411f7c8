import { describe, expect, it } from 'vitest';
import { sharedCache } from './shared-cache.js';

describe('sharedCache', () => {
  it('reads a key once per window for every caller, keys apart, again after the window', async () => {
    let clock = 0;
    const reads: string[] = [];
    const cache = sharedCache<string>(1000, 10, () => clock);
    const read = (key: string) => () => {
      reads.push(key);
      return Promise.resolve(key);
    };
    await Promise.all(Array.from({ length: 20 }, () => cache.get('a', read('a'))));
    await cache.get('b', read('b'));
    expect(reads).toEqual(['a', 'b']);
    clock = 1000;
    await cache.get('a', read('a'));
    expect(reads).toEqual(['a', 'b', 'a']);
    cache.clear();
    await cache.get('a', read('a'));
    expect(reads).toEqual(['a', 'b', 'a', 'a']);
  });

  it('keeps no failed read and at most maxKeys entries', async () => {
    const cache = sharedCache<number>(1000, 2, () => 0);
    await expect(cache.get('x', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('x', async () => 1)).toBe(1);
    await cache.get('y', async () => 2);
    await cache.get('z', async () => 3);
    // x was dropped as the oldest: read anew.
    expect(await cache.get('x', async () => 4)).toBe(4);
  });
});
