/** A thrown value as the JSON stored in `last_error` / dead letters. @internal */
export function errorJson(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
      ...(error.stack === undefined
        ? {}
        : { stack: error.stack.split('\n').slice(0, 8).join('\n') }),
    };
  }
  return { message: String(error) };
}
