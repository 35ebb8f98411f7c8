import { InvalidCursorError } from '../errors.js';

/** A read position: every batch before `tick` is done, and in `tick` every event up to `seq`. */
export interface Position {
  readonly tick: number;
  readonly seq: number;
}

/** The position before the first event. */
export const START: Position = Object.freeze({ tick: 0, seq: 0 });

const CURSOR = /^(\d{1,15}):(\d{1,15})$/;

/** Encodes a position as the opaque cursor string `getEventsByChannel` returns. */
export function encodeCursor(position: Position): string {
  return `${position.tick}:${position.seq}`;
}

/** Decodes a cursor; `undefined`/`null` mean the start. Throws `VSA_EVENTS_INVALID_CURSOR`. */
export function decodeCursor(cursor: string | null | undefined): Position {
  if (cursor === undefined || cursor === null) return START;
  const m = typeof cursor === 'string' ? CURSOR.exec(cursor) : null;
  if (m === null) throw new InvalidCursorError(cursor);
  return { tick: Number(m[1]), seq: Number(m[2]) };
}
