import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPGlite } from './open-pglite.js';

let template: Promise<Blob> | undefined;

/**
 * A PGlite data folder right after initdb, as a tarball: built once per machine and PGlite
 * build (cached in the OS temp folder), so each test database starts in ~0.5 s instead of ~3-5 s.
 */
export function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
    const { size, mtimeMs } = await stat(entry);
    const file = join(tmpdir(), `vsa-pglite-template-${size}-${Math.round(mtimeMs)}.tar`);
    try {
      return new Blob([await readFile(file)]);
    } catch {
      const fresh = await openPGlite({ kind: 'memory' });
      const dump = await fresh.dumpDataDir('none');
      await fresh.close();
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      await writeFile(tmp, new Uint8Array(await dump.arrayBuffer()));
      await rename(tmp, file);
      return dump;
    }
  })();
  return template;
}
