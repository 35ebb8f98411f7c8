import { createLogger } from '@vsa/common-logging';
import { openInfrastructure } from './infrastructure.js';
import { buildServer } from './server.js';
import { loadApiSettings } from './settings.js';

// Settings first: a bad variable prints every problem and exits 1 before anything opens.
const settings = loadApiSettings();
const logger = createLogger({
  name: 'api',
  level: settings.LOG_LEVEL,
  pretty: settings.LOG_PRETTY,
});

const infrastructure = await openInfrastructure(settings, logger);
// Fastify closes first (stops accepting, drains requests), then the bus and the database.
const app = await buildServer({
  settings,
  logger,
  infrastructure,
  onClose: () => infrastructure.close(),
});

const url = await app.listen({ host: settings.HOST, port: settings.PORT });
process.stdout.write(`vsa-common API listening on ${url} (database: ${infrastructure.db.kind})\n`);

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
