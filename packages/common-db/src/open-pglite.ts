import { mkdir } from 'node:fs/promises';
import { PGlite, types } from '@electric-sql/pglite';

/** Where the PGlite data lives: a folder, or memory. */
export type PGliteLocation =
  | { readonly kind: 'memory' }
  | { readonly kind: 'dir'; readonly dir: string };

/** Options for opening PGlite. */
export interface OpenPGliteOptions {
  /** Start from a `dumpDataDir()` tarball instead of running initdb (~0.5 s instead of ~3-5 s). */
  readonly loadDataDir?: Blob;
}

/**
 * Parsers that make PGlite return what `pg` returns: int8 as string (exact), not a lossy number.
 */
const PG_COMPATIBLE_PARSERS = {
  [types.INT8]: (value: string) => value,
  1016: (value: string) => types.arrayParser(value, (v: string) => v, 1016),
};

/** Opens a PGlite instance with pg-compatible type parsing. */
export async function openPGlite(
  location: PGliteLocation,
  options: OpenPGliteOptions = {},
): Promise<PGlite> {
  if (location.kind === 'dir') await mkdir(location.dir, { recursive: true });
  return PGlite.create({
    ...(location.kind === 'dir' ? { dataDir: location.dir } : {}),
    parsers: PG_COMPATIBLE_PARSERS,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
}
