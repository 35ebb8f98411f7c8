import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from './cli.js';

describe('vsa-db CLI URL check', () => {
  const cwd = process.cwd();
  const savedUrl = process.env.DATABASE_URL;
  let empty: string;
  beforeEach(async () => {
    empty = await mkdtemp(join(tmpdir(), 'vsa-cli-url-'));
    process.chdir(empty);
  });
  afterEach(async () => {
    process.chdir(cwd);
    if (savedUrl === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = savedUrl;
    await rm(empty, { recursive: true, force: true });
  });

  it('exits non-zero with the setting message for DATABASE_URL=notaurl and creates nothing', async () => {
    process.env.DATABASE_URL = 'notaurl';
    const lines: string[] = [];
    expect(await main(['status'], (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toBe(
      'vsa-db status failed [VSA_DB_INVALID_ARGUMENT]: DATABASE_URL: use postgres://…, pglite:<folder> or memory:; fix the value and run again',
    );
    expect(existsSync(join(empty, 'notaurl'))).toBe(false);
    expect(await readdir(empty)).toEqual([]);
  });

  it('names --url and refuses a port above 65535 before connecting', async () => {
    const lines: string[] = [];
    expect(await main(['migrate', '--url', 'postgres://u@h:99999/db'], (l) => lines.push(l))).toBe(
      1,
    );
    expect(lines.join('\n')).toContain('--url: not a valid URL');
    expect(await readdir(empty)).toEqual([]);
  });
});
