// Run by pretty-transport.test.ts in a child process (through tsx): Fastify builds pino from
// loggerOptions({ pretty: true }), so pino-pretty must resolve from Fastify's side too.
import Fastify from 'fastify';
import { withLogContext } from './log-context.js';
import { loggerOptions } from './logger-options.js';

const app = Fastify({ logger: loggerOptions({ name: 'api', pretty: true }) });
withLogContext({ requestId: 'r-1' }, () => app.log.info({ orderId: 'o-1' }, 'order placed'));
await app.close();
