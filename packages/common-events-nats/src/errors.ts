import { ConflictError } from '@vsa/common-errors';

/** Code of every invalid option of this package (an `InvalidArgumentError` from `parseOptions`). */
export const INVALID_ARGUMENT_CODE = 'VSA_EVENTS_NATS_INVALID_ARGUMENT';

/**
 * An existing stream's configuration differs from the settings in a way that changes what the
 * relay guarantees (subjects, retention, replicas, duplicate window).
 */
export class StreamConfigConflictError extends ConflictError {
  constructor(stream: string, conflicts: readonly StreamConfigConflict[]) {
    const list = conflicts
      .map(
        (c) =>
          `${c.field}: stream has ${JSON.stringify(c.actual)}, settings want ${JSON.stringify(c.expected)}`,
      )
      .join('; ');
    super(
      'VSA_EVENTS_NATS_STREAM_CONFLICT',
      `JetStream stream "${stream}" exists with another configuration (${list}); change the settings to match, or update the stream (nats stream edit) and restart`,
      { details: { stream, conflicts } },
    );
  }
}

/** One field of {@link StreamConfigConflictError}. */
export interface StreamConfigConflict {
  readonly field: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/**
 * The stream holds a message the relay did not write (no bus position as its message id), or
 * lost messages the relay's cursor says it acknowledged: the relay stops rather than guess.
 */
export class RelayStreamMismatchError extends ConflictError {
  constructor(stream: string, message: string, details: Record<string, unknown>) {
    super('VSA_EVENTS_NATS_STREAM_MISMATCH', `JetStream stream "${stream}": ${message}`, {
      details: { stream, ...details },
    });
  }
}

/**
 * The relay's consumer group on the bus (`nats-relay:<name>`) already exists as a group of
 * bus consumers (more partitions, a types filter, or members that subscribed with it): the
 * relay would move their position, so it refuses to start.
 */
export class RelayGroupConflictError extends ConflictError {
  constructor(
    group: string,
    channel: string,
    found: {
      readonly partitions: number;
      readonly types: readonly string[] | null;
      readonly members: number;
    },
  ) {
    super(
      'VSA_EVENTS_NATS_GROUP_CONFLICT',
      `Consumer group "${group}" on channel "${channel}" is a group of bus consumers (${found.partitions} partition(s), ${found.types === null ? 'every type' : `types [${found.types.join(', ')}]`}, ${found.members} member(s)), not the relay's: give the relay another name, or delete that group if it is a leftover`,
      { details: { group, channel, ...found } },
    );
  }
}
