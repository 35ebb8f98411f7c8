// A package's publish checks, run from its folder: publint (strict), Are The Types Wrong
// (ESM-only profile), the tarball's file list and the README's sections. Silent when all pass; on a failure it prints
// that check's full output, so `pnpm test` shows errors only.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readmeProblems } from './readme-example.mjs';

const ALLOWED = /^(dist\/.+|README\.md|package\.json|LICENSE|CHANGELOG\.md)$/;
const bin = (name) => join(process.cwd(), 'node_modules', '.bin', name);

/** Runs one tool; returns its combined output and whether it exited 0. */
function run(command, args) {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`;
  return { ok: result.status === 0, output };
}

/** The tarball holds dist/, README.md, package.json and LICENSE, and nothing else but CHANGELOG.md. */
function checkTarball() {
  const packed = run('pnpm', ['pack', '--json', '--dry-run']);
  if (!packed.ok) return packed;
  const { files } = JSON.parse(packed.output.slice(packed.output.indexOf('{')));
  const paths = files.map((f) => f.path);
  const stray = paths.filter((p) => !ALLOWED.test(p));
  const missing = ['README.md', 'package.json', 'LICENSE'].filter((p) => !paths.includes(p));
  if (!paths.some((p) => p.startsWith('dist/'))) missing.push('dist/');
  if (stray.length === 0 && missing.length === 0) return { ok: true, output: '' };
  return {
    ok: false,
    output:
      'the tarball must hold only dist/, README.md, package.json, LICENSE (and CHANGELOG.md)\n' +
      (stray.length ? `  unexpected: ${stray.join(', ')}\n` : '') +
      (missing.length ? `  missing: ${missing.join(', ')}\n` : ''),
  };
}

/** README.md has the shared sections and one runnable example (see readme-example.mjs). */
function checkReadme() {
  const problems = readmeProblems(readFileSync('README.md', 'utf8'));
  return { ok: problems.length === 0, output: problems.map((p) => `  ${p}\n`).join('') };
}

const checks = [
  ['README sections', checkReadme],
  ['publint --strict', () => run(bin('publint'), ['--strict'])],
  [
    'attw --pack . --profile esm-only',
    () => run(bin('attw'), ['--pack', '.', '--profile', 'esm-only']),
  ],
  ['tarball contents', checkTarball],
];
let failed = false;
for (const [name, check] of checks) {
  const { ok, output } = check();
  if (!ok) {
    failed = true;
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')).name;
    process.stderr.write(`${pkg}: ${name} failed\n${output}\n`);
  }
}
process.exit(failed ? 1 : 0);
