import { FastifyOtelInstrumentation } from '@fastify/otel';
import { trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { z } from 'zod';
import { PROBE_PREFIX } from './probes.js';

/** Settings of tracing: the standard OpenTelemetry variables the API reads. */
export const tracingSettings: z.ZodObject<{
  OTEL_EXPORTER_OTLP_ENDPOINT: z.ZodOptional<z.ZodURL>;
  OTEL_SERVICE_NAME: z.ZodDefault<z.ZodString>;
}> = z.object({
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional().meta({
    description:
      'OTLP/HTTP collector base URL (traces go to <url>/v1/traces); unset, no tracing SDK runs and spans cost nothing',
    example: 'http://127.0.0.1:4318',
  }),
  OTEL_SERVICE_NAME: z.string().min(1).default('vsa-api').meta({
    description: 'service.name of the exported spans',
    example: 'vsa-api',
  }),
});

/** The tracing that runs: its Fastify plugin, and a shutdown that flushes the spans. */
export interface Tracing {
  /** `@fastify/otel`: register before any route (`buildServer` does, given `tracing`). */
  readonly fastify: FastifyOtelInstrumentation;
  /** Ends the instrumentations and exports what is buffered. */
  shutdown(): Promise<void>;
}

/** Options of {@link startTracing}. */
export interface StartTracingOptions {
  readonly serviceName: string;
  /** Where spans go: an OTLP/HTTP endpoint, or span processors (tests: an in-memory exporter). */
  readonly otlpEndpoint?: string;
  readonly spanProcessors?: readonly SpanProcessor[];
}

/**
 * Registers an OpenTelemetry SDK globally (tracer provider, AsyncLocalStorage context manager,
 * W3C propagator), Prisma's instrumentation and `@fastify/otel`. The event bus and the logger
 * use the global API, so they follow. Call before the database and the server are created.
 */
export function startTracing(options: StartTracingOptions): Tracing {
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  if (options.otlpEndpoint !== undefined) {
    const url = `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces`;
    // Well under SHUTDOWN_TIMEOUT_MS: the final flush must not eat the whole shutdown budget.
    const exporter: SpanExporter = new OTLPTraceExporter({ url, timeoutMillis: 3000 });
    processors.push(new BatchSpanProcessor(exporter));
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: processors,
  });
  provider.register();
  // Prisma 7 reads its tracing helper from a global at query time: no module patching needed.
  const prisma = new PrismaInstrumentation();
  prisma.setTracerProvider(provider);
  prisma.enable();
  const fastify = new FastifyOtelInstrumentation({
    // Probes every few seconds would bury the traces that matter.
    ignorePaths: ({ url }) => url.startsWith(PROBE_PREFIX),
    // One span per request and one for its handler; a span per hook (CORS, helmet, context,
    // metrics…) would multiply the spans of every request for little insight.
    instrumentHooks: false,
  });
  fastify.setTracerProvider(provider);
  return {
    fastify,
    async shutdown() {
      prisma.disable();
      fastify.disable();
      await provider.shutdown();
      trace.disable();
    },
  };
}
