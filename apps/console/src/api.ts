// The console's only way to data: the API's admin routes, with the admin token as a bearer
// header. The token lives in sessionStorage (gone when the tab closes), never in a URL.
const TOKEN_KEY = 'vsa-console.admin-token';

export const adminToken = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string): void => sessionStorage.setItem(TOKEN_KEY, value),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** The API refused the token (401): the console signs out. */
export class UnauthorizedError extends Error {}

/** Calls `/admin<path>`; a problem+json answer becomes an Error with its detail. */
export async function admin<T>(path: string, body?: unknown, token = adminToken.get()): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${token ?? ''}` };
  const init: RequestInit = { headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.method = 'POST';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/admin${path}`, init);
  if (response.status === 401) throw new UnauthorizedError('The admin token was refused');
  const data = (await response.json().catch(() => null)) as { detail?: string } | null;
  if (!response.ok) throw new Error(data?.detail ?? `${response.status} ${response.statusText}`);
  return data as T;
}

export interface RecentEvent {
  id: string;
  seq: number;
  type: string;
  version: number;
  key: string | null;
  payload: unknown;
  recordedAt: string;
}

export interface PartitionStatus {
  partition: number;
  position: string;
  lagEvents: number;
  lagSeconds: number;
  oldestUnprocessedAgeSeconds: number | null;
  leased: boolean;
  blockedSeq: number | null;
}

export interface GroupStatus {
  group: string;
  channel: string;
  partitions: number;
  members: number;
  types: string[] | null;
  deadLetters: number;
  lagEvents: number;
  partitionStatus: PartitionStatus[];
}

export interface ConsumerStatus {
  lastTick: number | null;
  groups: GroupStatus[];
  oldestTransactions: { pid: number; ageSeconds: number; state: string | null }[];
}

export interface LagHistory {
  bucketSeconds: number;
  groups: Record<string, { at: string; lagEvents: number; lagSeconds: number }[]>;
}

export interface DeadLetter {
  id: number;
  group: string;
  channel: string;
  partition: number;
  seq: number;
  attempts: number;
  error: { name: string; message: string; code?: string };
  status: string;
  createdAt: string;
  event: { type: string; key: string | null; payload: unknown } | null;
}
