import {
  ConflictError,
  InternalError,
  InvalidArgumentError as InvalidArgumentConcept,
  NotFoundError,
} from '@vsa/common-errors';

/** The `types` half of a {@link ConsumerConfigMismatchError}. */
export interface ConsumerTypesMismatch {
  /** The group's stored filter (null = every type). */
  readonly stored: readonly string[] | null;
  /** What `subscribe` asked for (null = every type). */
  readonly requested: readonly string[] | null;
  /** Other members of the group still alive (heartbeat or lease not expired). */
  readonly liveMembers: readonly string[];
}

const typesText = (types: readonly string[] | null): string =>
  types === null ? 'every type' : `types [${[...types].sort().join(', ')}]`;

const membersText = (members: readonly string[]): string =>
  members.length <= 5 ? members.join(', ') : `${members.slice(0, 5).join(', ')}, …`;

/**
 * `subscribe` met a group that already exists with another partition count, or with other
 * `types` while other members of the group are alive. Positions are stored per partition, so
 * the count of a group cannot change while it keeps its positions; its types change when a
 * member joins with new ones and no other member is alive.
 */
export class ConsumerConfigMismatchError extends ConflictError {
  constructor(group: string, channel: string, stored: number, requested: number);
  constructor(group: string, channel: string, types: ConsumerTypesMismatch);
  constructor(
    group: string,
    channel: string,
    stored: number | ConsumerTypesMismatch,
    requested?: number,
  ) {
    super(
      'VSA_EVENTS_CONSUMER_CONFIG_MISMATCH',
      typeof stored === 'number'
        ? `Consumer group "${group}" on channel "${channel}" has ${stored} partition(s), subscribe asked for ${String(requested)}: keep ${stored}, or use a new group name (a new group can start from any position).`
        : `Consumer group "${group}" on channel "${channel}" delivers ${typesText(stored.stored)}, subscribe asked for ${typesText(stored.requested)}, and ${stored.liveMembers.length} other member(s) still run with the stored types (${membersText(stored.liveMembers)}): stop the old members first (a member with the new types then changes them when it starts), or use a new group name. resetGroup replays earlier events of added types afterwards; it does not stop members.`,
    );
  }
}

/** A consumer was started twice, or started after `stop()`. */
export class ConsumerStateError extends InvalidArgumentConcept {
  constructor(message: string) {
    super('VSA_EVENTS_CONSUMER_STATE', message);
  }
}

/** An admin call named a consumer group that does not exist. */
export class ConsumerGroupNotFoundError extends NotFoundError {
  constructor(group: string, channel?: string) {
    super(
      'VSA_EVENTS_CONSUMER_GROUP_NOT_FOUND',
      `Consumer group "${group}"${channel === undefined ? '' : ` on channel "${channel}"`} does not exist: check the name, or subscribe once to create it.`,
    );
  }
}

/**
 * The handler of an event ran `maxAttempts` times without finishing: it threw each time, or
 * its process died while running it. Stored as the dead letter's error.
 */
export class HandlerCrashedError extends InternalError {
  constructor(started: number, finished: number) {
    super(
      'VSA_EVENTS_HANDLER_CRASHED',
      `The handler was started ${started} time(s) and finished ${finished}: the process died while handling this event. Fix the handler, then redrive the dead letter.`,
    );
  }
}

/** Raised inside a consumer when its lease was taken over (fencing); never reaches users. @internal */
export class LeaseLostError extends ConflictError {
  constructor(group: string, partition: number) {
    super(
      'VSA_EVENTS_LEASE_LOST',
      `Consumer group "${group}" lost the lease of partition ${partition} to another worker; its work since the last commit is redone there.`,
    );
  }
}
