import type pg from 'pg';

/**
 * The accounting tables every adapter writes, so every produced job id is accounted for:
 * `harness_produced` gets a row once the system acknowledged the job (for our bus in the
 * same transaction as the publish), `harness_effects` one row per handler run that did the
 * job's work (no unique key: a second run is a duplicate to count, not an error to hide).
 */
export const EFFECTS_DDL = `
create table if not exists harness_produced (
  job_id uuid primary key,
  enqueued_at timestamptz not null default clock_timestamp()
);
create table if not exists harness_effects (
  job_id uuid not null,
  claim_ms double precision not null,
  replica text not null,
  done_at timestamptz not null default clock_timestamp()
);
create index if not exists harness_effects_job on harness_effects (job_id);
create index if not exists harness_effects_done on harness_effects (done_at);
`;

/** Creates the accounting tables (idempotent; two replicas may race, so retry once). */
export async function installEffects(pool: pg.Pool): Promise<void> {
  try {
    await pool.query(EFFECTS_DDL);
  } catch {
    await pool.query(EFFECTS_DDL);
  }
}

/** One job's payload: its id, its enqueue wall-clock time, and padding to the payload size. */
export interface JobPayload {
  readonly id: string;
  readonly t: number;
  readonly pad: string;
}
