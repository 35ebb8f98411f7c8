import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { createTestPostgresUrl, testEngines } from './testing/index.js';

describe.runIf(testEngines().includes('postgres'))('vsa-db CLI', () => {
  let db: { url: string; drop(): Promise<void> };
  let dir: string;
  beforeAll(async () => {
    db = await createTestPostgresUrl();
    dir = await mkdtemp(join(tmpdir(), 'vsa-cli-'));
    await mkdir(join(dir, '20240101000000_init'));
    await writeFile(join(dir, '20240101000000_init', 'migration.sql'), 'CREATE TABLE t (id int);');
  });
  afterAll(async () => {
    await db?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports pending, migrates, then reports up to date', async () => {
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    expect(await main(['status', '--url', db.url, '--dir', dir], out)).toBe(1);
    expect(lines.join('\n')).toContain('pending  20240101000000_init');
    expect(await main(['migrate', '--url', db.url, '--dir', dir], out)).toBe(0);
    expect(lines.join('\n')).toContain('applied 20240101000000_init');
    expect(await main(['status', '--url', db.url, '--dir', dir], out)).toBe(0);
  });

  it('fails clearly on bad input', async () => {
    const lines: string[] = [];
    expect(await main(['migrate-dev', '--url', db.url], (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toContain('--name');
    expect(await main(['nope', '--url', db.url], (l) => lines.push(l))).toBe(1);
    expect(await main([], (l) => lines.push(l))).toBe(1);
    lines.length = 0;
    // A --dir that names nothing is a mistake, not "up to date".
    const typo = join(dir, 'no-such-folder');
    expect(await main(['migrate', '--url', db.url, '--dir', typo], (l) => lines.push(l))).toBe(1);
    expect(lines.join('\n')).toContain(
      `vsa-db migrate failed [VSA_DB_INVALID_ARGUMENT]: Migrations folder ${typo} does not exist`,
    );
  });

  it('skips the app schema when the default prisma/migrations does not exist yet', async () => {
    const lines: string[] = [];
    const cwd = process.cwd();
    const empty = await mkdtemp(join(tmpdir(), 'vsa-cli-empty-'));
    try {
      process.chdir(empty);
      expect(await main(['migrate', '--url', db.url], (l) => lines.push(l))).toBe(0);
      expect(await main(['status', '--url', db.url], (l) => lines.push(l))).toBe(0);
    } finally {
      process.chdir(cwd);
      await rm(empty, { recursive: true, force: true });
    }
    expect(lines.join('\n')).toContain('no migrations folder at');
    expect(lines.join('\n')).toContain('nothing to apply');
  });
});
