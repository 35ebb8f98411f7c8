import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LoggingError } from './errors.js';
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

  it('treats null like undefined: an inner null does not clear an outer value', () => {
    const seen = withLogContext({ requestId: 'r1' }, () =>
      withLogContext({ requestId: null as unknown as string, eventId: 'e1' }, getLogContext),
    );
    expect(seen).toEqual({ requestId: 'r1', eventId: 'e1' });
  });

  it.each<[string, unknown, unknown]>([
    ['a null context', null, undefined],
    ['an array context', ['r1'], undefined],
    ['a numeric id', { requestId: 42 }, undefined],
    ['an object id', { correlationId: { id: 'c' } }, undefined],
    ['fn that is not a function', { requestId: 'r' }, 'not a function'],
  ])('rejects %s with VSA_LOGGING_INVALID_ARGUMENT, without running fn', (_, context, bad) => {
    let ran = 0;
    const fn = bad ?? ((): void => void ran++);
    expect(() => withLogContext(context as never, fn as never)).toThrow(
      expect.objectContaining({ name: 'LoggingError', code: 'VSA_LOGGING_INVALID_ARGUMENT' }),
    );
    expect(ran).toBe(0);
    expect(getLogContext()).toBeUndefined();
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

  it('rejects a non-function, inside a context and outside', () => {
    expect(() => bindLogContext('fn' as never)).toThrow(LoggingError);
    expect(() =>
      withLogContext({ requestId: 'r' }, () => bindLogContext(undefined as never)),
    ).toThrow(expect.objectContaining({ code: 'VSA_LOGGING_INVALID_ARGUMENT' }));
  });
});
