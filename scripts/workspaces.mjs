// The workspace list as pnpm sees it (pnpm-workspace.yaml), so scripts never hard-code names.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Every workspace but the root: name, absolute path, and its package.json.
 * @returns {{ name: string, path: string, manifest: Record<string, any> }[]}
 */
export function listWorkspaces(cwd = process.cwd()) {
  const out = execFileSync('pnpm', ['ls', '--recursive', '--depth', '-1', '--json'], {
    cwd,
    encoding: 'utf8',
  });
  const root = JSON.parse(out)[0]?.path;
  return JSON.parse(out)
    .filter((w) => w.path !== root)
    .map((w) => ({
      name: w.name,
      path: w.path,
      manifest: JSON.parse(readFileSync(join(w.path, 'package.json'), 'utf8')),
    }));
}

/** The workspaces published to a registry: not private. */
export function listPublished(cwd = process.cwd()) {
  return listWorkspaces(cwd).filter((w) => w.manifest.private !== true);
}
