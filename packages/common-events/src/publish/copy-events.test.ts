import { describe, expect, it } from 'vitest';
import { OrderPlaced } from '../test-support/catalog.js';
import { copyRows, copyText, isPgPool } from './copy-events.js';

describe('COPY text format', () => {
  it('escapes backslash, tab, newline and carriage return; null is \\N', () => {
    expect(copyText(null)).toBe('\\N');
    expect(copyText('plain')).toBe('plain');
    expect(copyText('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyText('\\N')).toBe('\\\\N'); // the text "\N" is not NULL
    expect(copyText('quote " \' ü 🎉')).toBe('quote " \' ü 🎉');
  });

  it('writes one line per event with the columns in COPY order', () => {
    const e = OrderPlaced.create({ orderId: 'x\ty', total: 1 }, { key: null });
    const line = copyRows([e]);
    expect(line.endsWith('\n')).toBe(true);
    const fields = line.slice(0, -1).split('\t');
    expect(fields).toHaveLength(9);
    expect(fields[0]).toBe(e.id);
    expect(fields[4]).toBe('\\N');
    expect(fields[6]).toBe(JSON.stringify(e.payload).replaceAll('\\', '\\\\'));
    expect(fields[8]).toBe(e.occurredAt.toISOString());
  });

  it('recognises only a node-postgres Pool', () => {
    expect(isPgPool(null)).toBe(false);
    expect(isPgPool({ query() {}, connect() {} })).toBe(false);
    expect(isPgPool({ query() {}, connect() {}, totalCount: 0, idleCount: 0, options: {} })).toBe(
      true,
    );
  });
});
