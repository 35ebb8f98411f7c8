import {
  type ErrorKind,
  InternalError,
  InvalidArgumentError as InvalidArgumentConcept,
  InvalidInputError,
  isVsaError,
  UnavailableError,
  VsaError,
  type VsaErrorOptions,
} from '@vsa/common-errors';
/**
 * Every error this package throws: `instanceof EventBusError` holds for any `VsaError` whose
 * code starts with `VSA_EVENTS_`. Each error is a subclass of a `@vsa/common-errors` concept
 * class (`NotFoundError`, `ConflictError`, …), which gives it `code`, `kind`, `statusCode` and
 * `details`; construct one directly only for a code of this package.
 */
export class EventBusError extends VsaError {
  constructor(code: string, kind: ErrorKind, message: string, options?: VsaErrorOptions) {
    super({ ...options, code, kind, message });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return isVsaError(value) && value.code.startsWith('VSA_EVENTS_');
  }
}

/** One failing field of an event payload. */
export interface PayloadIssue {
  /** JSON pointer-like path inside the payload, e.g. `items.0.sku` (empty for the root). */
  readonly path: string;
  readonly message: string;
}

/** An event payload did not match its schema. Nothing was written. */
export class InvalidPayloadError extends InvalidInputError {
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
      `Invalid payload for event ${event}: ${where}${more}. Fix the payload to match the event schema.`,
      options,
    );
    this.issues = issues;
    this.event = event;
  }
}

/** The event's channel/type/version is not in the catalog. Nothing was written. */
export class UnknownEventTypeError extends InvalidInputError {
  constructor(event: string) {
    super(
      'VSA_EVENTS_UNKNOWN_TYPE',
      `Unknown event ${event}: add its defineEvent(...) to the catalog passed to createEventBus / defineCatalog.`,
    );
  }
}

/** A function was called with an argument it cannot accept; the message says which and why. */
export class InvalidArgumentError extends InvalidArgumentConcept {
  constructor(message: string) {
    super('VSA_EVENTS_INVALID_ARGUMENT', message);
  }

  // Options are parsed by `@vsa/common-errors`' parseOptions, which throws its concept class
  // with this package's code: `instanceof` holds for those too.
  static override [Symbol.hasInstance](value: unknown): boolean {
    return isVsaError(value) && value.code === 'VSA_EVENTS_INVALID_ARGUMENT';
  }
}

/** `defineEvent`/`defineCatalog` got an invalid or conflicting definition. */
export class InvalidDefinitionError extends InvalidArgumentConcept {
  constructor(message: string) {
    super('VSA_EVENTS_INVALID_DEFINITION', message);
  }
}

/** A read cursor is not one this package produced. */
export class InvalidCursorError extends InvalidInputError {
  constructor(cursor: unknown) {
    super(
      'VSA_EVENTS_INVALID_CURSOR',
      `Invalid cursor ${JSON.stringify(cursor)}: pass a nextCursor returned by getEventsByChannel, or omit it to read from the start.`,
    );
  }
}

/** The transaction/client given to publish is neither a @vsa/common-db executor nor a Prisma client. */
export class UnsupportedExecutorError extends InvalidArgumentConcept {
  constructor() {
    super(
      'VSA_EVENTS_UNSUPPORTED_EXECUTOR',
      'Unsupported transaction: pass a @vsa/common-db Database/Transaction, a Prisma interactive-transaction client, or a pg client (anything with query(text, params)).',
    );
  }
}

/** A stored event of an older version could not be upcast to a version the catalog knows. */
export class UpcastFailedError extends InternalError {
  constructor(event: string, reason: string, options?: { cause?: unknown }) {
    super(
      'VSA_EVENTS_UPCAST_FAILED',
      `Cannot read stored event ${event}: ${reason}. Give the latest defineEvent an upcast function for older versions.`,
      options,
    );
  }
}

/** The buffer was closed: it accepts no more events. */
export class EventBufferClosedError extends UnavailableError {
  constructor() {
    super(
      'VSA_EVENTS_BUFFER_CLOSED',
      'Event buffer is closed: create a new buffer, or publish before close().',
    );
  }
}

/**
 * Writing a batch of buffered events failed. The events were NOT written; they are attached
 * so the caller can retry or store them elsewhere. Nothing is retried silently.
 */
export class EventBufferFlushError<E = unknown> extends UnavailableError {
  /** The events of the failed batch, in publish order. */
  readonly events: readonly E[];

  constructor(events: readonly E[], cause: unknown) {
    super(
      'VSA_EVENTS_FLUSH_FAILED',
      `Writing ${events.length} buffered event(s) failed: ${cause instanceof Error ? cause.message : String(cause)}. The events were not written; they are on error.events for a retry.`,
      { cause },
    );
    this.events = events;
  }
}
