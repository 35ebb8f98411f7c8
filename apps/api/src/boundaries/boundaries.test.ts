import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
// CI may force colours (FORCE_COLOR); the assertions read plain text.
const plainEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
const stripAnsi = (text: string): string => text.replace(/\u001b\[[0-9;]*m/g, '');
const appDir = fileURLToPath(new URL('../../', import.meta.url));
const depcruise = join(appDir, 'node_modules/.bin/depcruise');
const config = join(appDir, '.dependency-cruiser.cjs');

/** Runs the boundary check in `cwd` over `src`; resolves with its exit code and output. */
async function check(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(depcruise, ['src', '--config', config], {
      cwd,
      env: plainEnv,
    });
    return { code: 0, output: stripAnsi(stdout + stderr) };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: stripAnsi(failed.stdout + failed.stderr) };
  }
}

describe('slice boundary check (dependency-cruiser)', () => {
  let dir: string;

  async function write(path: string, text: string): Promise<void> {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vsa-boundaries-'));
    await write('package.json', JSON.stringify({ name: 'probe', type: 'module' }));
    await write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'nodenext' } }));
    // A package that is installed but not declared in package.json.
    await write(
      'node_modules/undeclared-pkg/package.json',
      '{"name":"undeclared-pkg","main":"index.js"}',
    );
    await write('node_modules/undeclared-pkg/index.js', 'export const x = 1;\n');
    await write('src/slices/orders/contract.ts', 'export const ORDERS_CHANNEL = "orders";\n');
    await write('src/slices/orders/place-order.ts', 'export const placeOrder = 1;\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on the app as it is', async () => {
    const result = await check(appDir);
    expect(result.output).toContain('no dependency violations found');
    expect(result.code).toBe(0);
  });

  it("reports a slice importing another slice's internals, naming the import; contract.ts is allowed", async () => {
    await write(
      'src/slices/shipping/on-order.ts',
      [
        "import { ORDERS_CHANNEL } from '../orders/contract.js';",
        "import { placeOrder } from '../orders/place-order.js';",
        'export const used = [ORDERS_CHANNEL, placeOrder];',
        '',
      ].join('\n'),
    );
    const result = await check(dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /slice-internals: src\/slices\/shipping\/on-order\.ts → src\/slices\/orders\/place-order\.ts/,
    );
    expect(result.output).not.toMatch(/→ src\/slices\/orders\/contract\.ts/);
    await rm(join(dir, 'src/slices/shipping/on-order.ts'));
  });

  it('reports a package that package.json does not declare, naming it', async () => {
    await write(
      'src/slices/shipping/uses-undeclared.ts',
      "import { x } from 'undeclared-pkg';\nexport const y = x;\n",
    );
    const result = await check(dir);
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /undeclared-package: src\/slices\/shipping\/uses-undeclared\.ts → .*undeclared-pkg/,
    );
    await rm(join(dir, 'src/slices/shipping/uses-undeclared.ts'));
  });
});
