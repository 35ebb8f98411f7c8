// Publish rehearsal (`pnpm rehearse:publish`, run by CI): proves the packages work the way
// another repository consumes them.
//   1. verdaccio on 127.0.0.1 (free port, storage in a temp folder); `changeset publish` of
//      every published workspace to it, leaving the repository untouched (no git tags);
//   2. per package, in a folder outside the workspace: install it by name with npm and with
//      pnpm, run an ESM consumer, type-check it with moduleResolution nodenext and bundler,
//      measure tarball size, unpacked size, installed dependency count, refuse forbidden
//      dependencies; reinstall from the lockfile and compare the installed tree;
//   3. version bump in a temp copy: a changeset on common-logging only, `changeset version`:
//      exactly it and its dependents change, each with a CHANGELOG.md.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { listPublished } from './workspaces.mjs';

const root = dirname(import.meta.dirname);
const started = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'vsa-rehearsal-'));
const log = (line) => process.stdout.write(`${line}\n`);
const fail = (message) => {
  throw new Error(message);
};

/** Names a package must not pull in when installed alone. */
const FORBIDDEN = {
  '@vsa/common-config': /^(prisma|@prisma\/.+|fastify|pg)$/,
  '@vsa/common-logging': /^(prisma|@prisma\/.+|fastify)$/,
};

function sh(command, args, options = {}) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe', ...options });
  } catch (error) {
    fail(
      `${command} ${args.join(' ')} failed in ${options.cwd ?? root}\n${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** verdaccio 6.8.0 (6.10+ needs Node 22), with node-fetch 2.7.0, in a git-ignored tool folder. */
function ensureVerdaccio() {
  const dir = join(root, '.ci', '.tools', 'verdaccio');
  const bin = join(dir, 'node_modules', '.bin', 'verdaccio');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const manifest = {
    private: true,
    dependencies: { verdaccio: '6.8.0' },
    overrides: { 'node-fetch': '2.7.0' },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  sh('npm', ['install', '--no-audit', '--no-fund', '--silent'], { cwd: dir });
  return bin;
}

async function startRegistry() {
  const port = await freePort();
  const storage = join(tmp, 'storage');
  const config = join(tmp, 'verdaccio.yaml');
  const upstream = sh('npm', ['config', 'get', 'registry']).trim();
  writeFileSync(
    config,
    [
      `storage: ${storage}`,
      `auth:\n  htpasswd:\n    file: ${join(tmp, 'htpasswd')}\n    max_users: 100`,
      `uplinks:\n  upstream:\n    url: ${upstream}\n    timeout: 60s`,
      'packages:',
      "  '@vsa/*':\n    access: $all\n    publish: $authenticated",
      "  '**':\n    access: $all\n    publish: $authenticated\n    proxy: upstream",
      'log: { type: stdout, format: pretty, level: error }',
      `listen: 127.0.0.1:${port}`,
      '',
    ].join('\n'),
  );
  const child = spawn(ensureVerdaccio(), ['--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) fail(`verdaccio exited\n${output}`);
    const ok = await fetch(`${url}-/ping`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, url, port };
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`verdaccio did not answer on ${url}\n${output}`);
}

async function registryUser(url, port) {
  const response = await fetch(`${url}-/user/org.couchdb.user:rehearsal`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'rehearsal', password: 'rehearsal-password' }),
  });
  if (!response.ok) fail(`registry user: ${response.status} ${await response.text()}`);
  const { token } = await response.json();
  const npmrc = join(tmp, '.npmrc');
  writeFileSync(npmrc, `registry=${url}\n//127.0.0.1:${port}/:_authToken=${token}\n`);
  return npmrc;
}

/** Bytes of the gzipped tarball as the registry serves it, and the sum of its files' sizes. */
function tarballSizes(name, version, env) {
  const dir = join(tmp, 'tarballs');
  mkdirSync(dir, { recursive: true });
  const out = sh('npm', ['pack', `${name}@${version}`, '--json'], { cwd: dir, env });
  const [info] = JSON.parse(out.slice(out.indexOf('[')));
  return { packed: info.size, unpacked: info.unpackedSize };
}

const kb = (bytes) => `${(bytes / 1024).toFixed(1)} kB`;
const hash = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Every installed package as path@version, read from disk (npm layout). */
function npmTree(dir) {
  const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
  return Object.keys(lock.packages)
    .filter((key) => key !== '')
    .map((key) => {
      const manifest = join(dir, key, 'package.json');
      const version = existsSync(manifest)
        ? JSON.parse(readFileSync(manifest, 'utf8')).version
        : 'missing';
      return `${key}@${version}`;
    })
    .sort();
}

/** Every installed package in pnpm's virtual store (name@version folders). */
function pnpmTree(dir) {
  return readdirSync(join(dir, 'node_modules', '.pnpm'))
    .filter(
      (entry) =>
        entry !== 'node_modules' &&
        !entry.startsWith('.') &&
        !entry.endsWith('.yaml') &&
        !entry.endsWith('.json'),
    )
    .sort();
}

/** The consumer program: an ESM import of the package, run by Node and type-checked by tsc. */
function writeConsumer(dir, pkg) {
  const custom = join(import.meta.dirname, 'rehearsal-consumers', `${pkg.name.split('/')[1]}.ts`);
  const source = existsSync(custom)
    ? readFileSync(custom, 'utf8')
    : [
        `import * as pkg from '${pkg.name}';`,
        '',
        'const exported = Object.keys(pkg);',
        `if (exported.length === 0) throw new Error('${pkg.name} exports nothing');`,
        `console.log('${pkg.name}: ' + exported.length + ' exports');`,
        '',
      ].join('\n');
  writeFileSync(join(dir, 'index.ts'), source);
  const tsc = (resolution, module) => ({
    compilerOptions: {
      strict: true,
      target: 'es2023',
      lib: ['es2023'],
      module,
      moduleResolution: resolution,
      noEmit: true,
      types: ['node'],
      typeRoots: [join(root, 'node_modules', '@types')],
      skipLibCheck: true,
    },
    files: ['index.ts'],
  });
  writeFileSync(join(dir, 'tsconfig.nodenext.json'), JSON.stringify(tsc('nodenext', 'nodenext')));
  writeFileSync(join(dir, 'tsconfig.bundler.json'), JSON.stringify(tsc('bundler', 'esnext')));
  // Node 20 runs no TypeScript: the emitted JavaScript of the same program is what runs.
  writeFileSync(
    join(dir, 'tsconfig.emit.json'),
    JSON.stringify({
      extends: './tsconfig.nodenext.json',
      compilerOptions: { noEmit: false, outDir: 'out' },
    }),
  );
}

function checkConsumer(dir, pkg) {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  sh(tsc, ['--noEmit', '-p', 'tsconfig.nodenext.json'], { cwd: dir });
  sh(tsc, ['--noEmit', '-p', 'tsconfig.bundler.json'], { cwd: dir });
  sh(tsc, ['-p', 'tsconfig.emit.json'], { cwd: dir });
  writeFileSync(join(dir, 'out', 'package.json'), '{"type":"module"}');
  const out = sh('node', [join(dir, 'out', 'index.js')], { cwd: dir }).trim();
  if (!out) fail(`${pkg.name}: the consumer printed nothing`);
}

function consumerDir(kind, pkg) {
  const dir = join(tmp, kind, pkg.name.split('/')[1]);
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'consumer',
    private: true,
    type: 'module',
    dependencies: { [pkg.name]: pkg.manifest.version },
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

function rehearseNpm(pkg, env) {
  const dir = consumerDir('npm', pkg);
  sh('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env });
  const tree = npmTree(dir);
  const forbidden = FORBIDDEN[pkg.name];
  if (forbidden) {
    const names = tree.map((entry) =>
      entry.replace(/^.*node_modules\//, '').replace(/@[^@]*$/, ''),
    );
    const bad = names.filter((n) => forbidden.test(n));
    if (bad.length > 0) fail(`${pkg.name} pulls in ${[...new Set(bad)].join(', ')}`);
  }
  writeConsumer(dir, pkg);
  checkConsumer(dir, pkg);
  const lock = hash(join(dir, 'package-lock.json'));
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  sh('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, env });
  if (hash(join(dir, 'package-lock.json')) !== lock)
    fail(`${pkg.name}: npm ci changed the lockfile`);
  if (npmTree(dir).join('\n') !== tree.join('\n'))
    fail(`${pkg.name}: npm ci installed another tree`);
  return tree.length;
}

function rehearsePnpm(pkg, env) {
  const dir = consumerDir('pnpm', pkg);
  // pnpm refuses dependency build scripts unless told; a consumer needs none of them here.
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), 'strictDepBuilds: false\n');
  sh('pnpm', ['install'], { cwd: dir, env });
  writeConsumer(dir, pkg);
  checkConsumer(dir, pkg);
  const tree = pnpmTree(dir);
  const lock = hash(join(dir, 'pnpm-lock.yaml'));
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  sh('pnpm', ['install', '--frozen-lockfile'], { cwd: dir, env });
  if (hash(join(dir, 'pnpm-lock.yaml')) !== lock) fail(`${pkg.name}: the pnpm lockfile changed`);
  if (pnpmTree(dir).join('\n') !== tree.join('\n'))
    fail(`${pkg.name}: pnpm installed another tree`);
  return tree.length - 1;
}

/** Published workspaces that depend on `name`, directly or through another one. */
function dependentsOf(name, packages) {
  const found = new Set([name]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of packages) {
      const deps = { ...p.manifest.dependencies, ...p.manifest.peerDependencies };
      if (!found.has(p.name) && Object.keys(deps).some((d) => found.has(d))) {
        found.add(p.name);
        grew = true;
      }
    }
  }
  return found;
}

function rehearseVersionBump(packages) {
  const copy = join(tmp, 'bump');
  const files = sh('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
  })
    .split('\0')
    .filter((f) => f && existsSync(join(root, f)));
  for (const f of files) cpSync(join(root, f), join(copy, f));
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  for (const f of readdirSync(join(copy, '.changeset'))) {
    if (f.endsWith('.md') && f !== 'README.md') rmSync(join(copy, '.changeset', f));
  }
  const target = '@vsa/common-logging';
  const summary = 'Rehearsal: a patch to common-logging only.';
  writeFileSync(
    join(copy, '.changeset', 'rehearsal.md'),
    `---\n'${target}': patch\n---\n\n${summary}\n`,
  );
  sh('node', [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], {
    cwd: copy,
  });
  const expected = dependentsOf(target, packages);
  const changed = [];
  for (const p of packages) {
    const at = join(copy, relative(root, p.path));
    const version = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')).version;
    if (version === p.manifest.version) continue;
    changed.push(`${p.name} ${p.manifest.version} -> ${version}`);
    if (!expected.has(p.name))
      fail(`changeset version bumped ${p.name}, which does not depend on ${target}`);
    const changelog = join(at, 'CHANGELOG.md');
    if (!existsSync(changelog) || !readFileSync(changelog, 'utf8').includes(version)) {
      fail(`${p.name}: no CHANGELOG.md entry for ${version}`);
    }
  }
  for (const name of expected) {
    if (!changed.some((c) => c.startsWith(`${name} `)))
      fail(`changeset version did not bump ${name}`);
  }
  return changed;
}

async function main() {
  const packages = listPublished(root);
  log(`packages: ${packages.map((p) => `${p.name}@${p.manifest.version}`).join(', ')}`);
  sh(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      ...packages.map((p) => `--filter=${p.name}`),
      '--output-logs=errors-only',
    ],
    { cwd: root },
  );
  const { child, url, port } = await startRegistry();
  try {
    const npmrc = await registryUser(url, port);
    const env = { ...process.env, NPM_CONFIG_USERCONFIG: npmrc, npm_config_registry: url };
    const before = sh('git', ['status', '--porcelain'], { cwd: root });
    sh(
      'node',
      [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'publish', '--no-git-tag'],
      { cwd: root, env },
    );
    if (sh('git', ['status', '--porcelain'], { cwd: root }) !== before)
      fail('changeset publish changed the repository');
    log(`published to ${url} (${((Date.now() - started) / 1000).toFixed(0)}s)`);

    const rows = [];
    for (const pkg of packages) {
      const sizes = tarballSizes(pkg.name, pkg.manifest.version, env);
      const npmDeps = rehearseNpm(pkg, env);
      const pnpmDeps = rehearsePnpm(pkg, env);
      rows.push([
        pkg.name,
        kb(sizes.packed),
        kb(sizes.unpacked),
        String(npmDeps),
        String(pnpmDeps),
      ]);
      log(
        `${pkg.name}: npm and pnpm installs, consumer, tsc nodenext + bundler, lockfile reinstall ok`,
      );
    }
    const head = ['package', 'tarball', 'unpacked', 'deps (npm)', 'deps (pnpm)'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    log('');
    log(line(head));
    log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows) log(line(r));
    log('');
    for (const c of rehearseVersionBump(packages)) log(`version bump: ${c}`);
  } finally {
    child.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
  log(`publish rehearsal passed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
}

main().catch((error) => {
  process.stderr.write(
    `publish rehearsal failed: ${error.message}${error.cause ? ` (${error.cause.message ?? error.cause})` : ''}\n`,
  );
  process.exitCode = 1;
});
