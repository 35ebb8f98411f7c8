import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { resolveTarget } from './resolve-url.js';

describe('resolveTarget', () => {
  it('routes postgres URLs to pg and everything else to PGlite', () => {
    expect(resolveTarget('postgres://u@h/db')).toEqual({
      kind: 'postgres',
      url: 'postgres://u@h/db',
    });
    expect(resolveTarget('postgresql://u@h/db').kind).toBe('postgres');
    expect(resolveTarget('memory:')).toEqual({ kind: 'pglite', location: { kind: 'memory' } });
    expect(resolveTarget('memory://')).toEqual({ kind: 'pglite', location: { kind: 'memory' } });
    expect(resolveTarget('pglite:./x')).toEqual({
      kind: 'pglite',
      location: { kind: 'dir', dir: resolve('x') },
    });
    expect(resolveTarget('./data/db')).toEqual({
      kind: 'pglite',
      location: { kind: 'dir', dir: resolve('data/db') },
    });
    expect(resolveTarget(undefined)).toEqual({
      kind: 'pglite',
      location: { kind: 'dir', dir: resolve('.data/pglite') },
    });
    expect(resolveTarget('', 'elsewhere')).toEqual({
      kind: 'pglite',
      location: { kind: 'dir', dir: resolve('elsewhere') },
    });
  });

  it('rejects unsupported schemes and empty pglite folders', () => {
    expect(() => resolveTarget('mysql://h/db')).toThrow(InvalidArgumentError);
    expect(() => resolveTarget('pglite:')).toThrow(InvalidArgumentError);
    expect(() => resolveTarget(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});
