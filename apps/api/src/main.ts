import { createLogger } from '@vsa/common-logging';
import closeWithGrace from 'close-with-grace';
import { APP_MIGRATIONS_DIR, openInfrastructure } from './infrastructure.js';
import { createApiMetrics } from './platform/metrics.js';
import { openWithRetry } from './platform/start-database.js';
import { startTracing } from './platform/tracing.js';
import { buildServer, DOCS_PATH } from './server.js';
import { loadApiSettings } from './settings.js';

// Settings first: a bad variable prints every problem and exits 1 before anything opens.
const settings = loadApiSettings();
const logger = createLogger({
  name: 'api',
  level: settings.LOG_LEVEL,
  // Pretty on a terminal, JSON lines otherwise (pipes, containers); LOG_PRETTY decides if set.
  pretty:
    process.env.LOG_PRETTY === undefined ? process.stdout.isTTY === true : settings.LOG_PRETTY,
});

// Tracing before the database and server exist, so both are instrumented from the start.
const tracing =
  settings.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
    ? undefined
    : startTracing({
        serviceName: settings.OTEL_SERVICE_NAME,
        otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT,
      });
const metrics = createApiMetrics();

let infrastructure: Awaited<ReturnType<typeof openInfrastructure>>;
try {
  infrastructure = await openWithRetry(
    () => openInfrastructure(settings, logger, APP_MIGRATIONS_DIR, metrics.bus),
    {
      retryMs: settings.DB_START_RETRY_MS,
      url: settings.DATABASE_URL,
      print: (line) => process.stderr.write(`${line}\n`),
    },
  );
} catch {
  process.exit(1);
}

// Fastify closes first (stops accepting, drains requests), then the bus and the database.
const app = await buildServer({
  settings,
  logger,
  infrastructure,
  metrics,
  ...(tracing === undefined ? {} : { tracing }),
  onClose: async () => {
    await infrastructure.close();
    // An unreachable collector loses the last spans; it must not fail the shutdown.
    await tracing
      ?.shutdown()
      .catch((err: unknown) => logger.warn({ err }, 'exporting the last spans failed'));
  },
});

// SIGTERM/SIGINT: stop accepting, finish in-flight requests, stop consumers, flush the event
// buffer, close the database, exit 0. A second signal or SHUTDOWN_TIMEOUT_MS forces exit 1.
closeWithGrace({ delay: settings.SHUTDOWN_TIMEOUT_MS, logger }, async ({ signal, err }) => {
  if (err !== undefined) logger.error({ err }, 'shutting down after an uncaught error');
  else logger.info({ signal }, 'shutting down');
  await app.close();
  logger.info('shut down cleanly');
});

const url = await app.listen({ host: settings.HOST, port: settings.PORT });
process.stdout.write(
  `vsa-common API listening on ${url} (database: ${infrastructure.db.kind}); API reference: ${url}${DOCS_PATH}\n`,
);
