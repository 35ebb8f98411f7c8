import { createErrorSerializer, type SerializedError } from '@vsa/common-logging';

/** The logger's serializer (URL credentials and secret-named fields scrubbed). */
const serialize = createErrorSerializer(new Set<string>()) as (err: unknown) => SerializedError;

/** Stack frames kept in a stored error: enough to find the throw, small enough per row. */
const STACK_LINES = 8;

/**
 * A thrown value as the JSON stored in `last_error` / dead letters: the logging package's
 * error serializer (causes kept, URL passwords and secret-named fields scrubbed), so no
 * secret reaches a table, plus `name` and a stack cut to a few frames. @internal
 */
export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const out: Record<string, unknown> = { name: error.name, ...serialize(error) };
    if (typeof out.stack === 'string') {
      out.stack = out.stack.split('\n').slice(0, STACK_LINES).join('\n');
    }
    return out;
  }
  return { message: serialize(new Error(String(error))).message };
}
