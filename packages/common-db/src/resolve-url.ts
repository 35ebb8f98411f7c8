import { resolve } from 'node:path';
import { invalidArgument } from './errors.js';
import type { PGliteLocation } from './open-pglite.js';

/** Default PGlite folder when neither a URL nor `dataDir` is given. */
export const DEFAULT_PGLITE_DATA_DIR = '.data/pglite';

/** Where a database URL points. */
export type ResolvedTarget =
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'pglite'; readonly location: PGliteLocation };

/**
 * `postgres://` / `postgresql://` → real PostgreSQL; `memory:` → in-memory PGlite;
 * `pglite:<folder>`, a folder path, or nothing → PGlite in that folder (default `.data/pglite`).
 */
export function resolveTarget(url: string | undefined, dataDir?: string): ResolvedTarget {
  if (url !== undefined && typeof url !== 'string') {
    throw invalidArgument('url must be a string');
  }
  const value = url?.trim() ?? '';
  if (value === '') {
    return {
      kind: 'pglite',
      location: { kind: 'dir', dir: resolve(dataDir ?? DEFAULT_PGLITE_DATA_DIR) },
    };
  }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw invalidArgument('DATABASE_URL is not a valid postgres:// URL');
    }
    return { kind: 'postgres', url: value };
  }
  if (
    /^memory:(\/\/)?$/i.test(value) ||
    value === 'pglite:memory:' ||
    value === 'pglite:memory://'
  ) {
    return { kind: 'pglite', location: { kind: 'memory' } };
  }
  if (value.startsWith('pglite:')) {
    const dir = value.slice('pglite:'.length).replace(/^\/\/(?=\/)/, '');
    if (dir === '') throw invalidArgument('pglite: URL needs a folder, e.g. pglite:./.data/pglite');
    return { kind: 'pglite', location: { kind: 'dir', dir: resolve(dir) } };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw invalidArgument(
      `Unsupported database URL scheme in ${value.split(':')[0]}://…: use postgres://, postgresql://, pglite:<folder> or memory:`,
    );
  }
  return { kind: 'pglite', location: { kind: 'dir', dir: resolve(value) } };
}
