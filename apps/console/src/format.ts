/** "4 s", "3 min", "2 h": an age for a table cell. */
export function age(seconds: number): string {
  if (seconds < 1) return 'now';
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} d`;
}

/** Seconds since an ISO timestamp. */
export function secondsSince(iso: string, now = Date.now()): number {
  return Math.max(0, (now - Date.parse(iso)) / 1000);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
