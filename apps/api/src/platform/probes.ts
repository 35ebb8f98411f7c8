/**
 * Where the orchestrator's probes live (`/health/live`, `/health/ready`): every few seconds, so
 * they are logged at debug, never traced, and never rate limited (a busy client must not
 * starve them).
 */
export const PROBE_PREFIX = '/health/';
