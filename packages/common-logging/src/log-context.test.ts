import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { bindLogContext, getLogContext, withLogContext } from './log-context.js';

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

  it('returns fn’s result and a frozen context nobody can change under the logger', () => {
    expect(withLogContext({ requestId: 'r' }, () => 42)).toBe(42);
    const context = withLogContext({ requestId: 'r' }, getLogContext);
    expect(Object.isFrozen(context)).toBe(true);
  });

  it('keeps concurrent units of work apart', async () => {
    const run = (id: string) =>
      withLogContext({ requestId: id }, async () => {
        await sleep(id === 'a' ? 3 : 1);
        return getLogContext()?.requestId;
      });
    expect(await Promise.all([run('a'), run('b')])).toEqual(['a', 'b']);
  });
});

describe('bindLogContext', () => {
  it('runs a callback later in the context it was bound in', () => {
    const emitter = new EventEmitter();
    const seen: unknown[] = [];
    withLogContext({ consumer: 'billing' }, () => {
      emitter.on(
        'tick',
        bindLogContext(() => seen.push(getLogContext())),
      );
      emitter.on('tick', () => seen.push(getLogContext()));
    });
    emitter.emit('tick');
    expect(seen).toEqual([{ consumer: 'billing' }, undefined]);
  });

  it('returns fn unchanged outside any context', () => {
    const fn = (a: number) => a + 1;
    expect(bindLogContext(fn)).toBe(fn);
    expect(withLogContext({ requestId: 'r' }, () => bindLogContext(fn))(1)).toBe(2);
  });
});
