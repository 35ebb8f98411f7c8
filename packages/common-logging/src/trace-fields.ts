import { context, isSpanContextValid, trace } from '@opentelemetry/api';

// Where @opentelemetry/api (every copy of major 1 in the process) registers its globals; an SDK
// registering a context manager puts it at `.context` of this object. The key is the API's
// cross-copy contract (`Symbol.for`, so two installed copies of the API share it).
const OTEL_API_KEY = Symbol.for('opentelemetry.js.api.1');
const registry = globalThis as { [OTEL_API_KEY]?: { readonly context?: unknown } };

/**
 * `,"trace_id":"…","span_id":"…"` for the span active now, or `''` without one (the
 * OpenTelemetry log data model's field names, which log backends match to traces).
 *
 * Without a registered context manager (no SDK) no span can be active (the no-op manager
 * never activates a context), so that case is one property read, checked per line because an
 * SDK may start after the logger was created.
 */
export function traceFields(): string {
  if (registry[OTEL_API_KEY]?.context === undefined) return '';
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined || !isSpanContextValid(sc)) return '';
  return `,"trace_id":"${sc.traceId}","span_id":"${sc.spanId}"`;
}
