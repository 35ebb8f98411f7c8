/** Base class of every error this package throws: a stable `code` and an HTTP `statusCode`. */
export class EventBusError extends Error {
  /** Stable machine-readable code, `VSA_EVENTS_*`. */
  readonly code: string;
  /** HTTP status an API should answer with when this error reaches it. */
  readonly statusCode: number;

  constructor(code: string, statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
  }
}

/** One failing field of an event payload. */
export interface PayloadIssue {
  /** JSON pointer-like path inside the payload, e.g. `items.0.sku` (empty for the root). */
  readonly path: string;
  readonly message: string;
}

/** An event payload did not match its schema. Nothing was written. */
export class InvalidPayloadError extends EventBusError {
  /** Every failing field, in schema order. */
  readonly issues: readonly PayloadIssue[];
  /** `channel/type@version` of the event. */
  readonly event: string;

  constructor(event: string, issues: readonly PayloadIssue[], options?: { cause?: unknown }) {
    const first = issues[0];
    const where = first ? `field "${first.path || '(root)'}": ${first.message}` : 'invalid';
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    super(
      'VSA_EVENTS_INVALID_PAYLOAD',
      400,
      `Invalid payload for event ${event}: ${where}${more}. Fix the payload to match the event schema.`,
      options,
    );
    this.issues = issues;
    this.event = event;
  }
}

/** The event's channel/type/version is not in the catalog. Nothing was written. */
export class UnknownEventTypeError extends EventBusError {
  constructor(event: string) {
    super(
      'VSA_EVENTS_UNKNOWN_TYPE',
      400,
      `Unknown event ${event}: add its defineEvent(...) to the catalog passed to createEventBus / defineCatalog.`,
    );
  }
}

/** A function was called with an argument it cannot accept; the message says which and why. */
export class InvalidArgumentError extends EventBusError {
  constructor(message: string) {
    super('VSA_EVENTS_INVALID_ARGUMENT', 500, message);
  }
}

/** `defineEvent`/`defineCatalog` got an invalid or conflicting definition. */
export class InvalidDefinitionError extends EventBusError {
  constructor(message: string) {
    super('VSA_EVENTS_INVALID_DEFINITION', 500, message);
  }
}

/** A read cursor is not one this package produced. */
export class InvalidCursorError extends EventBusError {
  constructor(cursor: unknown) {
    super(
      'VSA_EVENTS_INVALID_CURSOR',
      400,
      `Invalid cursor ${JSON.stringify(cursor)}: pass a nextCursor returned by getEventsByChannel, or omit it to read from the start.`,
    );
  }
}

/** The transaction/client given to publish is neither a @vsa/common-db executor nor a Prisma client. */
export class UnsupportedExecutorError extends EventBusError {
  constructor() {
    super(
      'VSA_EVENTS_UNSUPPORTED_EXECUTOR',
      500,
      'Unsupported transaction: pass a @vsa/common-db Database/Transaction, a Prisma interactive-transaction client, or a pg client (anything with query(text, params)).',
    );
  }
}

/** A stored event of an older version could not be upcast to a version the catalog knows. */
export class UpcastFailedError extends EventBusError {
  constructor(event: string, reason: string, options?: { cause?: unknown }) {
    super(
      'VSA_EVENTS_UPCAST_FAILED',
      500,
      `Cannot read stored event ${event}: ${reason}. Give the latest defineEvent an upcast function for older versions.`,
      options,
    );
  }
}

/** The buffer was closed: it accepts no more events. */
export class EventBufferClosedError extends EventBusError {
  constructor() {
    super(
      'VSA_EVENTS_BUFFER_CLOSED',
      503,
      'Event buffer is closed: create a new buffer, or publish before close().',
    );
  }
}

/**
 * Writing a batch of buffered events failed. The events were NOT written; they are attached
 * so the caller can retry or store them elsewhere. Nothing is retried silently.
 */
export class EventBufferFlushError<E = unknown> extends EventBusError {
  /** The events of the failed batch, in publish order. */
  readonly events: readonly E[];

  constructor(events: readonly E[], cause: unknown) {
    super(
      'VSA_EVENTS_FLUSH_FAILED',
      503,
      `Writing ${events.length} buffered event(s) failed: ${cause instanceof Error ? cause.message : String(cause)}. The events were not written; they are on error.events for a retry.`,
      { cause },
    );
    this.events = events;
  }
}
