import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { NotFoundError } from '@vsa/common-errors';
import type { AppInstance } from './app-instance.js';

/** Where the events console is served. */
export const CONSOLE_PATH = '/console';

/** The console was not built (no `index.html` in its dist folder): 404 with code CONSOLE_NOT_BUILT (4xx: its detail reaches the client). */
export class ConsoleNotBuiltError extends NotFoundError {
  constructor(root: string) {
    super(
      'CONSOLE_NOT_BUILT',
      `The events console is not built (no ${join(root, 'index.html')}): run "pnpm build" ` +
        '(turbo builds apps/console before the API) or "pnpm --filter @vsa/console build"',
    );
  }
}

/** The dist folder of `@vsa/console`, or undefined when the package is not installed. */
export function consoleDistFolder(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@vsa/console/package.json');
    return join(dirname(manifest), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Serves the console's static files at {@link CONSOLE_PATH} (the page itself is public: it
 * holds no data, and every call it makes sends the admin token). Files are read on request,
 * not listed at start, so it adds no start-up work. Without a build, `/console` answers a
 * 404 problem saying how to build it, and the API starts as usual.
 */
export async function registerConsole(
  app: AppInstance,
  root: string | undefined = consoleDistFolder(),
): Promise<void> {
  const built = root !== undefined && existsSync(join(root, 'index.html'));
  if (!built) {
    const missing = async () => {
      throw new ConsoleNotBuiltError(root ?? '@vsa/console/dist');
    };
    for (const url of [CONSOLE_PATH, `${CONSOLE_PATH}/*`]) {
      app.get(url, { schema: { hide: true } }, missing);
    }
    return;
  }
  // /console without the slash: relative asset URLs resolve against /console/.
  app.get(CONSOLE_PATH, { schema: { hide: true } }, async (_request, reply) =>
    reply.redirect(`${CONSOLE_PATH}/`, 301),
  );
  await app.register(fastifyStatic, {
    root,
    prefix: `${CONSOLE_PATH}/`,
    schemaHide: true,
    wildcard: true,
    index: ['index.html'],
    redirect: false,
    setHeaders(res, path) {
      // Vite names assets by content hash: they never change. The page itself must be re-read.
      res.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}
