/**
 * Migration 0004: the server session of each live consumer member (`session_pid`, the
 * backend pid of its process's LISTEN connection, or null). A SIGKILLed process's sessions end
 * at once, so the other members take its partitions when its session is gone instead of
 * waiting for its heartbeat to expire.
 *
 * @param schema - a validated schema name (see `validateSchemaName`).
 */
export function memberSessionsMigration(schema: string): string {
  return `alter table "${schema}".consumer_members add column session_pid integer;\n`;
}
