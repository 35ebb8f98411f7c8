import { Writable } from 'node:stream';
import { createLogger } from '@vsa/common-logging';
import type { Logger } from 'pino';
import { platformSettings } from './platform/platform-settings.js';
import type { ServerDependencies } from './server.js';

/** A logger whose JSON lines tests can read back. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ name: 'api-test', level: 'debug', destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** The admin token of {@link testSettings}. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** Settings a test server needs, as production would read them. */
export const testSettings: ServerDependencies['settings'] = {
  NODE_ENV: 'test',
  TRUST_PROXY: false,
  BODY_LIMIT: 1_048_576,
  ADMIN_TOKEN: TEST_ADMIN_TOKEN,
  IDEMPOTENCY_KEY_TTL_MS: 86_400_000,
  IDEMPOTENCY_KEY_SWEEP_INTERVAL_MS: 600_000,
  ...platformSettings.parse({}),
  // Off in tests: two busy cores shared by parallel test files delay the event loop past any
  // production limit, and load shedding would turn assertions into 503s. Its own test sets it.
  LOAD_MAX_EVENT_LOOP_DELAY_MS: 0,
};
