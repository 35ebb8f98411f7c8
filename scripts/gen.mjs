#!/usr/bin/env node
// `pnpm gen slice <name>`: runs the generators of turbo/generators/config.ts with @turbo/gen.
// Not `turbo gen`: turbo 2.11.11 insists on installing @turbo/gen 2.11.11, which is not
// published (the newest is 2.11.9), so it fails before reading the config. @turbo/gen's own
// CLI reads the same config and writes the same files.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// `--root <dir>` first writes into another tree (the generator's test uses a temp copy).
const argv = process.argv.slice(2);
const target = argv[0] === '--root' ? argv.splice(0, 2)[1] : root;
const [generator, ...names] = argv;
if (generator === undefined) {
  process.stderr.write('usage: pnpm gen <generator> [args…]   e.g. pnpm gen slice billing\n');
  process.exit(2);
}
const cli = join(
  dirname(createRequire(import.meta.url).resolve('@turbo/gen/package.json')),
  'dist/cli.js',
);
const args = ['run', generator, '--root', target ?? root];
if (names.length > 0) args.push('--args', ...names);
const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
process.exit(result.status ?? 1);
