#!/usr/bin/env node
// vsa-db: `prisma generate` without native engines, and migrations on Prisma's WebAssembly
// schema engine. `generate` needs no build of this package, so it runs from a clean clone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [command, ...args] = process.argv.slice(2);

if (command === 'generate') {
  const env = { ...process.env };
  // `prisma generate` downloads the native schema engine unless this names an existing file;
  // generate never executes it, so the running node binary is a safe stand-in.
  env.PRISMA_SCHEMA_ENGINE_BINARY ||= process.execPath;
  env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';
  env.CHECKPOINT_DISABLE ??= '1';
  let cli;
  try {
    cli = createRequire(join(process.cwd(), 'package.json')).resolve('prisma/build/index.js');
  } catch {
    cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  }
  const result = spawnSync(process.execPath, [cli, 'generate', ...args], { stdio: 'inherit', env });
  process.exit(result.status ?? 1);
} else {
  // Published, this file is dist/bin/vsa-db.mjs (the CLI is ../cli.js); in the workspace it is
  // bin/vsa-db.mjs (../dist/cli.js).
  const published = new URL('../cli.js', import.meta.url);
  const { main } = await import(
    existsSync(published) ? published.href : new URL('../dist/cli.js', import.meta.url).href
  );
  process.exitCode = await main([command, ...args].filter((a) => a !== undefined));
}
