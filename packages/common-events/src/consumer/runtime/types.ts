/** Counters of one partition held by this process. */
export interface PartitionStats {
  readonly partition: number;
  /** Fencing token of the current lease. */
  readonly epoch: number;
  /** Position committed last, as a cursor. */
  readonly position: string;
  /** Seq of the event the partition waits at (`onFailure: 'block'`), else null. */
  readonly blockedSeq: number | null;
  /** Events still replayed one by one after taking over a lease its owner did not release. */
  readonly guardedRemaining: number;
}

/** In-process counters of a consumer (since `start()`). */
export interface ConsumerStats {
  readonly group: string;
  readonly channel: string;
  readonly memberId: string;
  readonly running: boolean;
  /** Whether NOTIFY wake-ups are active; false means polling only. */
  readonly listening: boolean;
  /** Handler calls that returned. */
  readonly handled: number;
  /** Handler calls that threw. */
  readonly failed: number;
  /** Events moved to dead letters by this process. */
  readonly deadLettered: number;
  /** Handler duration: calls, total, max and mean in ms. */
  readonly handlerMs: {
    readonly count: number;
    readonly total: number;
    readonly max: number;
    readonly mean: number;
  };
  readonly partitions: readonly PartitionStats[];
}

/** A durable consumer group member: start it, stop it, read its counters. */
export interface Consumer {
  readonly group: string;
  readonly channel: string;
  readonly memberId: string;
  /**
   * Creates the group if new (at `startFrom`), joins it, claims partitions and starts
   * delivering. Resolves once the first claim is done.
   */
  start(): Promise<void>;
  /**
   * Graceful stop: finishes the batch in flight, stores its position, releases the leases
   * (no takeover delay, no attempt counted) and leaves the group. Idempotent.
   */
  stop(): Promise<void>;
  stats(): ConsumerStats;
  readonly running: boolean;
}
