import type { DestinationStream } from 'pino';

/** A destination that keeps every line pino writes, parsed, for tests that read real output. */
export interface Capture extends DestinationStream {
  readonly raw: string[];
  lines(): Record<string, unknown>[];
}

export function capture(): Capture {
  const raw: string[] = [];
  return {
    raw,
    write(chunk: string) {
      raw.push(...chunk.split('\n').filter((line) => line !== ''));
    },
    lines: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
