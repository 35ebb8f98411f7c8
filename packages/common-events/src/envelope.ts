/**
 * Metadata stored with every event. The bus fills `correlationId` and `causationId` from the
 * log context, and `traceparent` / `tracestate` (W3C trace context) from the active
 * OpenTelemetry span (else a `traceparent` of the log context), when the publisher does not
 * set them; anything else the publisher adds is kept as-is (JSON values only).
 */
export interface EventMetadata {
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly [field: string]: unknown;
}

/** An event ready to publish: what `defineEvent(...).create()` returns. */
export interface EventEnvelope<C extends string = string, T extends string = string, P = unknown> {
  /** UUIDv7, unique, generated when the event is created. */
  readonly id: string;
  /** The publishing slice, e.g. `orders`. */
  readonly channel: C;
  /** PascalCase, past tense, e.g. `OrderPlaced`. */
  readonly type: T;
  /** Integer schema version, bumped on every breaking payload change. */
  readonly version: number;
  /** Ordering and partitioning key (e.g. the aggregate id); `null` when order does not matter. */
  readonly key: string | null;
  readonly payload: P;
  readonly metadata: EventMetadata;
  readonly occurredAt: Date;
  /** Publishing the same key twice on one channel returns the first event instead. */
  readonly idempotencyKey: string | null;
}

/** An event as read back from the store. */
export interface StoredEvent<C extends string = string, T extends string = string, P = unknown>
  extends EventEnvelope<C, T, P> {
  /** Global insert position (not commit order; see DESIGN.md). */
  readonly seq: number;
  /** Id of the transaction that wrote the event (`xid8` as a decimal string). */
  readonly txId: string;
  readonly recordedAt: Date;
  /** The version the event was stored with (differs from `version` after an upcast). */
  readonly storedVersion: number;
  /** A cursor that resumes reading right after this event. */
  readonly position: string;
}

/** What publishing returns for each event, in the order given. */
export interface PublishedEvent {
  readonly id: string;
  readonly seq: number;
  readonly channel: string;
  readonly type: string;
  /** `true` when the idempotency key already existed and the earlier event was returned. */
  readonly duplicate: boolean;
}
