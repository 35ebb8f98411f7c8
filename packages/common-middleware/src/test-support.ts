// Shared by this package's tests only (excluded from the build).
import { Writable } from 'node:stream';
import { createLogger } from '@vsa/common-logging';
import fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { type ErrorHandlerOptions, errorHandlerPlugin } from './error-handler-plugin.js';
import { requestContextPlugin } from './request-context-plugin.js';
import { genReqId } from './request-id.js';

/** One parsed pino line. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string };

export interface TestApp {
  readonly app: FastifyInstance;
  readonly lines: LogLine[];
}

export interface TestAppOptions {
  readonly errors?: ErrorHandlerOptions;
  readonly server?: FastifyServerOptions;
  readonly withContext?: boolean;
  readonly withGenReqId?: boolean;
  readonly zod?: boolean;
  readonly routes?: (app: FastifyInstance) => void | Promise<void>;
}

/**
 * A Fastify app as apps/api builds it: @vsa/common-logging's `createLogger` (its context on
 * every line, its redaction and `err` serializer) writing JSON lines captured here, passed as
 * `loggerInstance`; `genReqId`, zod validation, both plugins before any route.
 */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
      }
      callback();
    },
  });
  const app = fastify({
    loggerInstance: createLogger({ level: 'debug', destination: stream }),
    ...(options.withGenReqId === false ? {} : { genReqId }),
    ...options.server,
  });
  if (options.zod !== false) {
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
  }
  if (options.withContext !== false) await app.register(requestContextPlugin);
  await app.register(errorHandlerPlugin, options.errors ?? {});
  await options.routes?.(app);
  await app.ready();
  return { app, lines };
}

/** Lines logged for one request id. */
export function linesFor(lines: readonly LogLine[], requestId: string): LogLine[] {
  return lines.filter((line) => line.reqId === requestId);
}
