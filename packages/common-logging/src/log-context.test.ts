import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { getLogContext, withLogContext } from './log-context.js';

describe('withLogContext', () => {
  it('is undefined outside any context', () => {
    expect(getLogContext()).toBeUndefined();
  });

  it('follows the work across awaits and timers', async () => {
    const seen = await withLogContext({ requestId: 'r1' }, async () => {
      await sleep(1);
      return new Promise((resolve) => setTimeout(() => resolve(getLogContext()), 1));
    });
    expect(seen).toEqual({ requestId: 'r1' });
  });

  it('merges nested contexts and drops empty values', () => {
    const seen = withLogContext({ requestId: 'r1', correlationId: 'c1' }, () =>
      withLogContext({ eventId: 'e1', correlationId: '' }, getLogContext),
    );
    expect(seen).toEqual({ requestId: 'r1', correlationId: 'c1', eventId: 'e1' });
  });
});
