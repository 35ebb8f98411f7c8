// Publish rehearsal (`pnpm rehearse:publish`, run by CI): proves the packages work the way
// another repository consumes them.
//   1. verdaccio on 127.0.0.1 (free port, storage in a temp folder); `changeset publish` of
//      every published workspace to it, leaving the repository untouched (no git tags);
//   2. per package, in a folder outside the workspace: install by name with npm and with pnpm
//      what its README's `pnpm add` line names, type-check the README's runnable example (the
//      block after `<!-- readme:example -->`, read from the installed tarball) with
//      moduleResolution nodenext and bundler, run it on this Node with its own database
//      (a fresh one on PostgreSQL when reachable, else the embedded PGlite default),
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
import { installNames, readmeExample } from './readme-example.mjs';
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

/** The consumer program: the README's example as published, run by Node and type-checked by tsc. */
function writeConsumer(dir, pkg) {
  const readme = join(dir, 'node_modules', ...pkg.name.split('/'), 'README.md');
  const source = existsSync(readme) ? readmeExample(readFileSync(readme, 'utf8')) : undefined;
  if (!source) fail(`${pkg.name}: the published README.md has no <!-- readme:example --> block`);
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

/** Type-checks the example both ways, emits it, runs it; returns how long the run took (ms). */
function checkConsumer(dir, pkg, env) {
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  sh(tsc, ['--noEmit', '-p', 'tsconfig.nodenext.json'], { cwd: dir });
  sh(tsc, ['--noEmit', '-p', 'tsconfig.bundler.json'], { cwd: dir });
  sh(tsc, ['-p', 'tsconfig.emit.json'], { cwd: dir });
  writeFileSync(join(dir, 'out', 'package.json'), '{"type":"module"}');
  const database = exampleDatabase(dir);
  // Not the caller's DATABASE_URL (CI's own database): the example's, or none (PGlite).
  const { DATABASE_URL: _caller, ...inherited } = env;
  const started = Date.now();
  try {
    const out = sh('node', [join(dir, 'out', 'index.js')], {
      cwd: dir,
      env: { ...inherited, ...database.env, NODE_ENV: 'development' },
      timeout: 60_000,
    }).trim();
    if (!out) fail(`${pkg.name}: the README example printed nothing`);
    return Date.now() - started;
  } finally {
    database.drop();
  }
}

let postgresReachable;
/**
 * The example's own database: a new one on the local PostgreSQL server
 * (postgres@127.0.0.1:5432, as in CI) when psql reaches it, else no DATABASE_URL, so
 * the example opens the embedded PGlite default inside its consumer folder.
 */
function exampleDatabase(dir) {
  const server = 'postgres://postgres@127.0.0.1:5432';
  const psql = (sql) =>
    execFileSync('psql', [`${server}/postgres`, '-qAtc', sql], { stdio: 'pipe', timeout: 10_000 });
  if (postgresReachable === undefined) {
    try {
      psql('select 1');
      postgresReachable = true;
    } catch {
      postgresReachable = false;
      log('PostgreSQL not reachable: the README examples run on the embedded PGlite default');
    }
  }
  if (!postgresReachable) return { env: {}, drop: () => {} };
  const name =
    `vsa_rehearsal_${relative(tmp, dir).replace(/[^a-z0-9]+/gi, '_')}_${process.pid}`.toLowerCase();
  psql(`create database ${name}`);
  return {
    env: { DATABASE_URL: `${server}/${name}` },
    drop: () => psql(`drop database if exists ${name} with (force)`),
  };
}

/** Workspace versions of every published package, for the README's `pnpm add` names. */
let published = [];

/**
 * The names of the README's `pnpm add` line at the versions this repository tests: a sibling
 * at its workspace version, a peer at the package's peer range, anything else at the version
 * the package's own install resolved.
 */
function exampleDependencies(pkg) {
  const readme = readFileSync(join(pkg.path, 'README.md'), 'utf8');
  const names = installNames(readme);
  if (!names.includes(pkg.name))
    fail(`${pkg.name}: its README's \`pnpm add\` line does not name it`);
  const deps = {};
  for (const name of names) {
    const sibling = published.find((p) => p.name === name);
    const peer = pkg.manifest.peerDependencies?.[name];
    if (sibling) deps[name] = sibling.manifest.version;
    else if (peer) deps[name] = peer;
    else {
      const at = [join(pkg.path, 'node_modules', name), join(root, 'node_modules', name)].find(
        (d) => existsSync(join(d, 'package.json')),
      );
      if (!at) fail(`${pkg.name}: README installs ${name}, which this workspace does not resolve`);
      deps[name] = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')).version;
    }
  }
  return deps;
}

function consumerDir(kind, pkg) {
  const dir = join(tmp, kind, pkg.name.split('/')[1]);
  mkdirSync(dir, { recursive: true });
  const manifest = {
    name: 'consumer',
    private: true,
    type: 'module',
    dependencies: exampleDependencies(pkg),
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
  const exampleMs = checkConsumer(dir, pkg, env);
  const lock = hash(join(dir, 'package-lock.json'));
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  sh('npm', ['ci', '--no-audit', '--no-fund'], { cwd: dir, env });
  if (hash(join(dir, 'package-lock.json')) !== lock)
    fail(`${pkg.name}: npm ci changed the lockfile`);
  if (npmTree(dir).join('\n') !== tree.join('\n'))
    fail(`${pkg.name}: npm ci installed another tree`);
  return { deps: tree.length, exampleMs };
}

function rehearsePnpm(pkg, env) {
  const dir = consumerDir('pnpm', pkg);
  // pnpm refuses dependency build scripts unless told; a consumer needs none of them here.
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), 'strictDepBuilds: false\n');
  sh('pnpm', ['install'], { cwd: dir, env });
  writeConsumer(dir, pkg);
  const exampleMs = checkConsumer(dir, pkg, env);
  const tree = pnpmTree(dir);
  const lock = hash(join(dir, 'pnpm-lock.yaml'));
  rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
  sh('pnpm', ['install', '--frozen-lockfile'], { cwd: dir, env });
  if (hash(join(dir, 'pnpm-lock.yaml')) !== lock) fail(`${pkg.name}: the pnpm lockfile changed`);
  if (pnpmTree(dir).join('\n') !== tree.join('\n'))
    fail(`${pkg.name}: pnpm installed another tree`);
  return { deps: tree.length - 1, exampleMs };
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
  published = packages;
  // `--only @vsa/common-db,…`: rehearse those packages only (all are still published).
  const onlyArg = process.argv.indexOf('--only');
  const only = onlyArg > 0 ? process.argv[onlyArg + 1].split(',') : undefined;
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
    for (const pkg of packages.filter((p) => !only || only.includes(p.name))) {
      const sizes = tarballSizes(pkg.name, pkg.manifest.version, env);
      const npm = rehearseNpm(pkg, env);
      const pnpm = rehearsePnpm(pkg, env);
      rows.push([
        pkg.name,
        kb(sizes.packed),
        kb(sizes.unpacked),
        String(npm.deps),
        String(pnpm.deps),
        `${npm.exampleMs} / ${pnpm.exampleMs} ms`,
      ]);
      log(
        `${pkg.name}: npm and pnpm installs, README example (tsc nodenext + bundler, run), lockfile reinstall ok`,
      );
    }
    const head = [
      'package',
      'tarball',
      'unpacked',
      'deps (npm)',
      'deps (pnpm)',
      'example run (npm / pnpm)',
    ];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
    log('');
    log(line(head));
    log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of rows) log(line(r));
    log('');
    if (!only) for (const c of rehearseVersionBump(packages)) log(`version bump: ${c}`);
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
