import { performance } from 'node:perf_hooks';
import type { Consumer } from '@vsa/common-events';

/**
 * The API of apps/api as `pnpm bench api` runs it, in a child process: what `main.ts` does
 * (settings from the environment, openInfrastructure, buildServer, listen on a random port),
 * with one switch: `BENCH_CONSUMERS=off` makes every consumer's `start()` a no-op, so
 * `POST /orders` can be measured without the consumers competing for the cores. Prints
 * `LISTENING <port> <ms to listening>`.
 */
const appDist = new URL('../../../apps/api/dist/', import.meta.url);
const started = performance.now();

interface Bus {
  consumers: { subscribe(options: unknown): Consumer };
}
interface Infrastructure {
  bus: Bus;
  close(): Promise<void>;
}
interface Server {
  listen(options: { host: string; port: number }): Promise<string>;
  close(): Promise<void>;
}

const { loadApiSettings } = (await import(new URL('settings.js', appDist).href)) as {
  loadApiSettings(): { LOG_LEVEL: 'warn'; HOST: string };
};
const { openInfrastructure } = (await import(new URL('infrastructure.js', appDist).href)) as {
  openInfrastructure(settings: unknown, logger: unknown): Promise<Infrastructure>;
};
const { buildServer } = (await import(new URL('server.js', appDist).href)) as {
  buildServer(deps: {
    settings: unknown;
    logger: unknown;
    infrastructure: Infrastructure;
    onClose(): Promise<void>;
  }): Promise<Server>;
};
const { createLogger } = await import('@vsa/common-logging');

const settings = loadApiSettings();
const logger = createLogger({ name: 'api', level: settings.LOG_LEVEL, pretty: false });
const infrastructure = await openInfrastructure(settings, logger);
if (process.env.BENCH_CONSUMERS === 'off') {
  const consumers = infrastructure.bus.consumers;
  const subscribe = consumers.subscribe.bind(consumers);
  consumers.subscribe = (options) => {
    const consumer = subscribe(options);
    return {
      group: consumer.group,
      channel: consumer.channel,
      memberId: consumer.memberId,
      running: false,
      start: async () => {},
      stop: () => consumer.stop(),
      stats: () => consumer.stats(),
    };
  };
}
const app = await buildServer({
  settings,
  logger,
  infrastructure,
  onClose: () => infrastructure.close(),
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(
  `LISTENING ${new URL(address).port} ${Math.round(performance.now() - started)}\n`,
);
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
