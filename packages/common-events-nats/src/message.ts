import { headers, type MsgHdrs } from '@nats-io/transport-node';
import type { EventMetadata, StoredEvent } from '@vsa/common-events';

/** Header names the relay sets on every message (besides `Nats-Msg-Id`, the bus position). */
export const HEADERS: Readonly<{
  id: 'Vsa-Event-Id';
  channel: 'Vsa-Event-Channel';
  type: 'Vsa-Event-Type';
  version: 'Vsa-Event-Version';
  key: 'Vsa-Event-Key';
  position: 'Vsa-Event-Position';
  correlationId: 'Vsa-Correlation-Id';
  causationId: 'Vsa-Causation-Id';
  traceparent: 'traceparent';
  tracestate: 'tracestate';
}> = Object.freeze({
  id: 'Vsa-Event-Id',
  channel: 'Vsa-Event-Channel',
  type: 'Vsa-Event-Type',
  version: 'Vsa-Event-Version',
  key: 'Vsa-Event-Key',
  position: 'Vsa-Event-Position',
  correlationId: 'Vsa-Correlation-Id',
  causationId: 'Vsa-Causation-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
});

/** The body of a relayed message: everything of the stored event that headers do not carry whole. */
interface Body {
  readonly payload: unknown;
  readonly metadata: EventMetadata;
  readonly key: string | null;
  readonly seq: number;
  readonly txId: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly idempotencyKey: string | null;
}

/** The subject of an event: `<prefix>.<channel>.<type>`. */
export function subjectOf(prefix: string, event: Pick<StoredEvent, 'channel' | 'type'>): string {
  return `${prefix}.${event.channel}.${event.type}`;
}

/** Encodes one stored event as message headers and a JSON body. @internal */
export function encodeEvent(event: StoredEvent): { headers: MsgHdrs; body: string } {
  const h = headers();
  h.set(HEADERS.id, event.id);
  h.set(HEADERS.channel, event.channel);
  h.set(HEADERS.type, event.type);
  h.set(HEADERS.version, String(event.storedVersion));
  h.set(HEADERS.position, event.position);
  // Keys are free text: percent-encoded so a header never carries a line break.
  if (event.key !== null) h.set(HEADERS.key, encodeURIComponent(event.key));
  const m = event.metadata;
  for (const [field, header] of [
    ['correlationId', HEADERS.correlationId],
    ['causationId', HEADERS.causationId],
    ['traceparent', HEADERS.traceparent],
    ['tracestate', HEADERS.tracestate],
  ] as const) {
    const v = m[field];
    if (typeof v === 'string' && !/[\r\n]/.test(v)) h.set(header, v);
  }
  const body: Body = {
    payload: event.payload,
    metadata: event.metadata,
    key: event.key,
    seq: event.seq,
    txId: event.txId,
    occurredAt: event.occurredAt.toISOString(),
    recordedAt: event.recordedAt.toISOString(),
    idempotencyKey: event.idempotencyKey,
  };
  return { headers: h, body: JSON.stringify(body) };
}

/** Decodes a relayed message back into the stored event (as stored, before any upcast). @internal */
export function decodeEvent(h: MsgHdrs, data: string): StoredEvent {
  const body = JSON.parse(data) as Body;
  const position = h.get(HEADERS.position);
  const version = Number(h.get(HEADERS.version));
  return {
    id: h.get(HEADERS.id),
    channel: h.get(HEADERS.channel),
    type: h.get(HEADERS.type),
    version,
    storedVersion: version,
    key: body.key,
    payload: body.payload,
    metadata: body.metadata,
    occurredAt: new Date(body.occurredAt),
    recordedAt: new Date(body.recordedAt),
    idempotencyKey: body.idempotencyKey,
    seq: body.seq,
    txId: body.txId,
    position,
  };
}
