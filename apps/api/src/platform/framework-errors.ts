import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import createError from '@fastify/error';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppInstance } from './app-instance.js';

/** Answered to a request that arrives on an open connection while the server shuts down. */
export const ShuttingDownError = createError(
  'API_SHUTTING_DOWN',
  'The server is shutting down; retry on another instance',
  503,
);

/**
 * Fastify's `frameworkErrors`: errors raised before routing (bad URL encoding, a path
 * parameter over `maxParamLength`) go to the app's error handler instead of Fastify's plain
 * JSON, so they are problem+json like every other failure.
 */
export function frameworkErrors(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  // The request has no route yet, so reply.send(error) would use Fastify's default handler.
  void request.server.errorHandler.call(request.server, error, request, reply);
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refused (headers too large,
 * malformed request line, timeout) never reaches Fastify's routing, so the answer is written
 * to the socket here, as problem+json. The parser's `rawPacket` (which can hold an
 * `Authorization` header) is never logged.
 */
export function createClientErrorHandler(
  logger: Logger,
): (error: Error & { code?: string }, socket: Socket) => void {
  return (error, socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const status =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? 431
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? 408
          : 400;
    const title = STATUS_CODES[status] ?? 'Error';
    const requestId = randomUUID();
    const detail =
      status === 431
        ? 'The request headers are too large; send fewer or smaller headers'
        : status === 408
          ? 'The request was not received in time'
          : 'The request could not be parsed as HTTP';
    const body = JSON.stringify({
      type: 'about:blank',
      title,
      status,
      detail,
      instance: '',
      requestId,
    });
    logger.info({ requestId, code: error.code, status }, `client error: ${status} ${title}`);
    if (socket.writable) {
      socket.write(
        `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/**
 * Replaces Fastify's `return503OnClosing` (plain JSON): once `close()` starts, a request on a
 * kept-alive connection gets a 503 problem with `Connection: close`, while requests already
 * in flight finish. Start the server with `return503OnClosing: false`.
 */
export function registerClosingGuard(app: AppInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    reply.header('connection', 'close');
    done(Object.assign(new ShuttingDownError(), { retryAfter: 1 }));
  });
}
