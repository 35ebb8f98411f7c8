// Fails when the package's tarball (what `pnpm publish` would upload) holds anything but
// dist/, README.md, package.json, LICENSE and CHANGELOG.md. Run from a package folder.
import { execFileSync } from 'node:child_process';

const ALLOWED = /^(dist\/.+|README\.md|package\.json|LICENSE|CHANGELOG\.md)$/;
const out = execFileSync('pnpm', ['pack', '--json', '--dry-run'], { encoding: 'utf8' });
const { name, files } = JSON.parse(out.slice(out.indexOf('{')));
const paths = files.map((f) => f.path);
const stray = paths.filter((p) => !ALLOWED.test(p));
const missing = ['README.md', 'package.json', 'LICENSE'].filter((p) => !paths.includes(p));
if (stray.length > 0 || missing.length > 0 || !paths.some((p) => p.startsWith('dist/'))) {
  process.stderr.write(
    `${name}: the tarball must hold only dist/, README.md, package.json, LICENSE (and CHANGELOG.md)\n` +
      (stray.length ? `  unexpected: ${stray.join(', ')}\n` : '') +
      (missing.length ? `  missing: ${missing.join(', ')}\n` : ''),
  );
  process.exit(1);
}
process.stdout.write(`${name}: tarball holds ${paths.length} files, all expected\n`);
