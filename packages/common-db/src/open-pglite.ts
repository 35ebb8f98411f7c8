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
/**
 * Server settings PGlite starts with (written to its postgresql.conf at each open). PGlite
 * touches all of `shared_buffers` at start, so its 128 MB default is resident memory from the
 * first second: 16 MB takes the embedded API's RSS from about 420 to about 300 MiB. @internal
 */
export const PGLITE_CONF: readonly string[] = ['shared_buffers=16MB'];

export async function openPGlite(
  location: PGliteLocation,
  options: OpenPGliteOptions = {},
): Promise<PGlite> {
  if (location.kind === 'dir') await mkdir(location.dir, { recursive: true });
  return PGlite.create({
    ...(location.kind === 'dir' ? { dataDir: location.dir } : {}),
    postgresqlconf: [...PGLITE_CONF],
    parsers: PG_COMPATIBLE_PARSERS,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
}
