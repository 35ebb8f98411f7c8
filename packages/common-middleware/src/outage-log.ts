/** What the error handler does with one 503's log line. @internal */
export type OutageDecision =
  | { readonly kind: 'started'; readonly ended?: OutageSummary }
  | { readonly kind: 'counted' };

/** An outage that ended: its code, how many 503s it answered, how long it lasted. @internal */
export interface OutageSummary {
  readonly code: string;
  readonly answered503: number;
  readonly durationMs: number;
}

/**
 * Tracks 503 streaks so an outage (the database down, the pool exhausted) is logged once per
 * state change, not once per request: the first 503 of a code is logged in full, the next
 * ones are counted, and the first successful response reports the count. @internal
 */
export interface OutageLog {
  on503(code: string): OutageDecision;
  /** Ends the outage on a response below 500; returns what it was, if there was one. */
  onSuccess(): OutageSummary | undefined;
}

/** @internal */
export function createOutageLog(now: () => number = Date.now): OutageLog {
  let current: { code: string; count: number; since: number } | undefined;
  const summary = (): OutageSummary | undefined =>
    current === undefined
      ? undefined
      : { code: current.code, answered503: current.count, durationMs: now() - current.since };
  return {
    on503(code) {
      if (current?.code === code) {
        current.count += 1;
        return { kind: 'counted' };
      }
      const ended = summary();
      current = { code, count: 1, since: now() };
      return ended === undefined ? { kind: 'started' } : { kind: 'started', ended };
    },
    onSuccess() {
      const ended = summary();
      current = undefined;
      return ended;
    },
  };
}
