import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { errorHandlerPlugin, requestContextPlugin } from '@vsa/common-middleware';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const appDir = fileURLToPath(new URL('../../', import.meta.url));
const repoRoot = join(appDir, '../..');

// `pnpm gen slice <name>` into a temp tree inside apps/api (so the generated files resolve
// fastify, zod and the @vsa packages from the app's node_modules, as in a real slice).
describe('pnpm gen slice <name>', () => {
  let root: string;
  let slice: string;

  beforeAll(async () => {
    root = await mkdtemp(join(appDir, '.gen-probe-'));
    // A workspace root of its own, so the generator's root path is the probe, not the repo.
    await writeFile(
      join(root, 'package.json'),
      '{"name":"gen-probe","private":true,"type":"module"}',
    );
    await writeFile(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - apps/*\n');
    await writeFile(join(root, 'turbo.json'), '{"tasks":{}}');
    await cp(join(repoRoot, 'turbo'), join(root, 'turbo'), { recursive: true });
    await run(
      process.execPath,
      [join(repoRoot, 'scripts/gen.mjs'), '--root', root, 'slice', 'probe-billing'],
      {
        cwd: repoRoot,
      },
    );
    slice = join(root, 'apps/api/src/slices/probe-billing');
  }, 60_000);
  afterAll(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('writes index.ts, contract.ts, a route and its test that type-check under the app config', async () => {
    await writeFile(
      join(root, 'tsconfig.json'),
      JSON.stringify({
        extends: join(appDir, 'tsconfig.json'),
        compilerOptions: { rootDir: '.', noEmit: true },
        include: ['apps/api/src'],
      }),
    );
    const tsc = join(appDir, 'node_modules/.bin/tsc');
    await expect(
      run(tsc, ['-p', join(root, 'tsconfig.json')], { cwd: root }),
    ).resolves.toBeDefined();
  }, 60_000);

  it('serves the generated route as the generated test expects', async () => {
    const module = (await import(pathToFileURL(join(slice, 'index.ts')).href)) as Record<
      string,
      FastifyPluginAsync
    >;
    const plugin = module.probeBillingSlice;
    expect(plugin).toBeTypeOf('function');
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(requestContextPlugin);
    await app.register(errorHandlerPlugin);
    await app.register(plugin as FastifyPluginAsync, { prefix: '/probe-billing' });
    const response = await app.inject({ method: 'GET', url: '/probe-billing' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ slice: 'probe-billing' });
    await app.close();
  });

  it('the generated test passes', async () => {
    const vitest = join(repoRoot, 'node_modules/.bin/vitest');
    await writeFile(join(root, 'vitest.config.mjs'), 'export default { test: {} };\n');
    const { stdout } = await run(vitest, ['run', '--reporter', 'default'], { cwd: root }).catch(
      (error: { stdout: string; stderr: string }) => {
        throw new Error(`generated test failed:\n${error.stdout}\n${error.stderr}`);
      },
    );
    expect(stdout).toMatch(/2 passed/);
  }, 120_000);
});
