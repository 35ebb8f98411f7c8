import { context, isSpanContextValid, trace } from '@opentelemetry/api';

/**
 * `,"trace_id":"…","span_id":"…"` for the span active now, or `''` without one (the
 * OpenTelemetry log data model's field names, which log backends match to traces).
 */
export function traceFields(): string {
  const sc = trace.getSpanContext(context.active());
  if (sc === undefined || !isSpanContextValid(sc)) return '';
  return `,"trace_id":"${sc.traceId}","span_id":"${sc.spanId}"`;
}
