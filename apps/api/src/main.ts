import { createLogger } from '@vsa/common-logging';
import closeWithGrace from 'close-with-grace';
import { APP_MIGRATIONS_DIR, openInfrastructure } from './infrastructure.js';
import { createApiMetrics } from './platform/metrics.js';
import { openWithRetry } from './platform/start-database.js';
import { loadApiSettings } from './settings.js';

// Start-up phases, logged once listening (ms since the process started): where a slow start goes.
const startup: Record<string, number> = { imports: Math.round(performance.now()) };
const mark = (phase: string, from: number): number => {
  const now = performance.now();
  startup[phase] = Math.round(now - from);
  return now;
};

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
// The OpenTelemetry SDK is loaded only when an exporter is configured (a slower start otherwise).
const tracing =
  settings.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
    ? undefined
    : (await import('./platform/tracing.js')).startTracing({
        serviceName: settings.OTEL_SERVICE_NAME,
        otlpEndpoint: settings.OTEL_EXPORTER_OTLP_ENDPOINT,
      });
// The HTTP server's modules (Fastify, the slices, the API docs) load while the database opens
// and migrates, after tracing started (so they are instrumented): the first consumer delivery
// after a restart waits for both (issue 18).
const serverModule = import('./server.js');
serverModule.catch(() => {}); // awaited below; a failed load must not be reported twice
const metrics = createApiMetrics();

let infrastructure: Awaited<ReturnType<typeof openInfrastructure>>;
let phaseStart = performance.now();
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

phaseStart = mark('database', phaseStart);

const { buildServer, DOCS_PATH } = await serverModule;
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

phaseStart = mark('server', phaseStart);
// listen() runs the onReady hooks first: the slices' consumers start there.
const url = await app.listen({ host: settings.HOST, port: settings.PORT });
mark('consumersAndListen', phaseStart);
logger.info({ startupMs: { ...startup, total: Math.round(performance.now()) } }, 'started');
process.stdout.write(
  `vsa-common API listening on ${url} (database: ${infrastructure.db.kind}); API reference: ${url}${DOCS_PATH}\n`,
);
