import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  createTraceState,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  ProxyTracer,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { z } from 'zod';
import type { EventMetadata, StoredEvent } from '../envelope.js';

/** Instrumentation scope of the bus's spans. */
export const TRACER_NAME = '@vsa/common-events';

/** `messaging.system` of the bus's spans (not one of the registry's well-known values). */
export const MESSAGING_SYSTEM = 'vsa_events';

/**
 * The global provider's tracer of the bus: a proxy that follows an SDK registered later, and
 * a no-op without one. @internal
 */
export function defaultTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** A `tracer` option: an OpenTelemetry Tracer; absent means {@link defaultTracer}. @internal */
export const tracerOption: z.ZodType<Tracer | undefined, Tracer | undefined> = z
  .custom<Tracer>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Tracer).startSpan === 'function',
    'must be an OpenTelemetry Tracer (trace.getTracer(name))',
  )
  .optional();

// The key @opentelemetry/core's suppressTracing() sets (createContextKey is Symbol.for, so the
// key is the same without depending on core): an SDK's tracers, Prisma's instrumentation
// among them, record nothing under it.
const SUPPRESS_TRACING = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
const UNTRACED = ROOT_CONTEXT.setValue(SUPPRESS_TRACING, true);

/**
 * Runs `fn` (and everything it starts: timers, loops) with tracing suppressed: the bus's own
 * polling, ticks, leases and checkpoints would otherwise be a stream of root traces, several
 * per second while idle. Deliveries start their span from the producer's context, not from
 * this one, so handlers are traced. Without a context manager this is a plain call. @internal
 */
export function untraced<T>(fn: () => T): T {
  return context.with(UNTRACED, fn);
}

// Where @opentelemetry/api (every copy of major 1 in the process, `Symbol.for`) registers its
// globals; an SDK's context manager sits at `.context`. Without one the active context is always
// the root context, which holds no span.
const OTEL_API_KEY = Symbol.for('opentelemetry.js.api.1');
const registry = globalThis as {
  [OTEL_API_KEY]?: { readonly context?: unknown; readonly trace?: unknown };
};

/**
 * Whether a context manager is registered, i.e. whether any span can be active: without one,
 * `context.with` runs its function in the same (root) context. One property read. @internal
 */
export function contextManagerRegistered(): boolean {
  return registry[OTEL_API_KEY]?.context !== undefined;
}

/**
 * Whether spans of `tracer` can have no effect at all right now: the global tracer's proxy
 * (what {@link defaultTracer} returns) while no tracer provider is registered and the proxy has
 * not bound to one, so it would hand out non-recording spans. Read per call (three property
 * reads), since an SDK may be registered later. @internal
 */
export function tracerIsOff(tracer: Tracer): boolean {
  return (
    registry[OTEL_API_KEY]?.trace === undefined &&
    tracer instanceof ProxyTracer &&
    (tracer as unknown as { _delegate?: unknown })._delegate === undefined
  );
}

/** The span of the paths with nothing to record: shared, non-recording, invalid context. */
const OFF_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
const OFF: { readonly span: Span; readonly context: undefined } = Object.freeze({
  span: OFF_SPAN,
  context: undefined,
});

/** W3C trace context fields of the active span, or undefined when no valid span is active. @internal */
export function activeTraceFields():
  | { readonly traceparent: string; readonly tracestate?: string }
  | undefined {
  if (!contextManagerRegistered()) return undefined;
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined || !isSpanContextValid(sc)) return undefined;
  const traceparent = `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & 1).toString(16)}`;
  const tracestate = sc.traceState?.serialize();
  return tracestate === undefined || tracestate === ''
    ? { traceparent }
    : { traceparent, tracestate };
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-.*)?$/;

/** The span context a `traceparent` (and `tracestate`) describe, or undefined when invalid. @internal */
export function parseTraceContext(metadata: EventMetadata): SpanContext | undefined {
  const traceparent = metadata.traceparent;
  if (typeof traceparent !== 'string') return undefined;
  const m = TRACEPARENT.exec(traceparent);
  if (m === null || m[1] === 'ff' || (m[1] === '00' && traceparent.length !== 55)) return undefined;
  const tracestate = metadata.tracestate;
  const sc: SpanContext = {
    traceId: m[2] as string,
    spanId: m[3] as string,
    traceFlags: Number.parseInt(m[4] as string, 16) & 1,
    isRemote: true,
    ...(typeof tracestate === 'string' && tracestate !== ''
      ? { traceState: createTraceState(tracestate) }
      : {}),
  };
  return isSpanContextValid(sc) ? sc : undefined;
}

/**
 * Runs `fn` in a producer span `send <channel>`, so the events it prepares carry this span's
 * trace context. Attributes are set only when an SDK records the span. @internal
 */
export async function inPublishSpan<T>(
  tracer: Tracer,
  events: readonly { readonly channel: string; readonly id: string }[],
  fn: () => Promise<T>,
): Promise<T> {
  // No SDK: the no-op tracer's span would only echo the active span's context, which the
  // events' metadata reads from the active context anyway; nothing to start or switch.
  if (tracerIsOff(tracer)) return fn();
  const first: unknown = events[0]?.channel;
  const channel = typeof first === 'string' ? first : '';
  const span = tracer.startSpan(`send ${channel}`, PRODUCER);
  if (isNoop(span)) {
    // No SDK and no trace around: nothing to record or propagate, so no context switch.
    const result = await fn();
    span.end();
    return result;
  }
  if (span.isRecording()) {
    const attributes: Attributes = {
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'send',
      'messaging.destination.name': channel,
    };
    if (events.length === 1) attributes['messaging.message.id'] = events[0]?.id;
    else attributes['messaging.batch.message_count'] = events.length;
    span.setAttributes(attributes);
  }
  try {
    const result = await context.with(trace.setSpan(context.active(), span), fn);
    span.end();
    return result;
  } catch (error) {
    failSpan(span, error);
    throw error;
  }
}

const PRODUCER = { kind: SpanKind.PRODUCER } as const;
const CONSUMER = { kind: SpanKind.CONSUMER } as const;

/** A span of the no-op tracer with no trace to continue: running in its context changes nothing. */
function isNoop(span: Span): boolean {
  if (span.isRecording()) return false;
  const sc = span.spanContext();
  return sc === INVALID_SPAN_CONTEXT || !isSpanContextValid(sc);
}

/** Where a delivery happens, for the attributes of its span. @internal */
export interface DeliveryLabels {
  readonly group: string;
  readonly channel: string;
  readonly partition: number;
  readonly attempt: number;
}

/**
 * Starts the consumer span `process <channel>` of one delivery. It continues the producer's
 * trace (child of the span that published the event) and links to it, as the messaging
 * conventions ask, so one request's trace holds every handler it caused. Returns the span and
 * the context to run the handler in (`undefined`: a no-op span with no trace, where switching
 * context would change nothing, so the hot path without an SDK skips it). @internal
 */
export function startProcessSpan(
  tracer: Tracer,
  event: StoredEvent,
  labels: DeliveryLabels,
): { readonly span: Span; readonly context: Context | undefined } {
  // No SDK and no context manager: a span could neither record nor be seen by the handler.
  if (!contextManagerRegistered() && tracerIsOff(tracer)) return OFF;
  const producer = parseTraceContext(event.metadata);
  const parent =
    producer === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, producer);
  const span = tracer.startSpan(
    `process ${labels.channel}`,
    producer === undefined ? CONSUMER : { kind: SpanKind.CONSUMER, links: [{ context: producer }] },
    parent,
  );
  if (producer === undefined && isNoop(span)) return { span, context: undefined };
  if (span.isRecording()) {
    span.setAttributes({
      'messaging.system': MESSAGING_SYSTEM,
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': labels.channel,
      'messaging.destination.partition.id': String(labels.partition),
      'messaging.consumer.group.name': labels.group,
      'messaging.message.id': event.id,
      'vsa_events.event.type': event.type,
      'vsa_events.event.seq': event.seq,
      'vsa_events.delivery.attempt': labels.attempt,
    });
  }
  return { span, context: trace.setSpan(parent, span) };
}

/** Ends `span` as failed with `error`. @internal */
export function failSpan(span: Span, error: unknown): void {
  if (span.isRecording()) {
    if (error instanceof Error) span.recordException(error);
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    span.setAttribute('error.type', errorType(error));
  }
  span.end();
}

function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name !== '') return name;
  }
  return '_OTHER';
}
