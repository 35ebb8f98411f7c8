import { EventEmitter } from 'node:events';
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { capture } from './capture.fixture.js';
import { createLogger } from './create-logger.js';
import { LoggingError } from './errors.js';
import { bindLogContext, withLogContext } from './log-context.js';
import { loggerOptions } from './logger-options.js';

describe('createLogger output', () => {
  it('writes one JSON line per call with name, level, time and msg', () => {
    const out = capture();
    const logger = createLogger({ name: 'api', destination: out });
    logger.info({ orderId: 'o-1' }, 'order placed');
    logger.debug('hidden at info');
    const [line, ...rest] = out.lines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 30, name: 'api', orderId: 'o-1', msg: 'order placed' });
    expect(line?.time).toEqual(expect.any(Number));
    expect(out.raw[0]).not.toContain('\u001b[');
  });

  it('honours the level and extra base fields', () => {
    const out = capture();
    const logger = createLogger({
      level: 'debug',
      base: { service: 'api', version: '1.2.3' },
      destination: out,
    });
    logger.debug('shown');
    logger.trace('not shown');
    expect(out.lines()).toEqual([
      expect.objectContaining({ msg: 'shown', service: 'api', version: '1.2.3', pid: process.pid }),
    ]);
    const silent = capture();
    createLogger({ level: 'silent', destination: silent }).fatal('nothing');
    expect(silent.raw).toEqual([]);
  });

  it('rejects bad options with VSA_LOGGING_INVALID_ARGUMENT', () => {
    const bad: unknown[] = [
      { level: 'verbose' },
      { redact: 'password' },
      { redactKeys: [''] },
      { name: 42 },
      { destination: {} },
      { pretty: 'false' },
      { base: 'api' },
      { base: null },
    ];
    for (const options of bad) {
      const call = () => createLogger(options as Parameters<typeof createLogger>[0]);
      expect(call, JSON.stringify(options)).toThrow(LoggingError);
      expect(call).toThrow(expect.objectContaining({ code: 'VSA_LOGGING_INVALID_ARGUMENT' }));
    }
    expect(() => createLogger({ level: 'verbose' as 'info' })).toThrow(
      /level must be one of fatal, error/,
    );
  });

  it('rejects an unknown option naming it and the accepted ones', () => {
    expect(() => createLogger({ levl: 'debug' } as never)).toThrow(
      'createLogger(options): unknown option "levl" (accepted: name, level, pretty, redact, redactKeys, base, destination)',
    );
    expect(() => loggerOptions({ prety: true } as never)).toThrow(
      expect.objectContaining({
        code: 'VSA_LOGGING_INVALID_ARGUMENT',
        message: expect.stringContaining('loggerOptions(config): unknown option "prety"'),
      }),
    );
  });

  it('writes human-readable lines through pino-pretty when pretty', () => {
    const out = capture();
    const logger = createLogger({ pretty: true, destination: out });
    withLogContext({ requestId: 'r-9' }, () => logger.info({ orderId: 'o-1' }, 'order placed'));
    const text = out.raw.join('\n');
    expect(() => JSON.parse(out.raw[0] ?? '')).toThrow();
    expect(text).toMatch(/INFO.*order placed/);
    expect(text).toContain('requestId: "r-9"');
    expect(text).not.toContain('\u001b[');
  });
});

describe('context on every line', () => {
  it('adds the withLogContext fields across awaits, timers, immediates and event handlers', async () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const bus = new EventEmitter();
    bus.on('placed', (id: string) => logger.info({ id }, 'handler'));
    await withLogContext({ requestId: 'r-1', correlationId: 'c-1' }, async () => {
      logger.info('start');
      await sleep(2);
      logger.info('after await');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          logger.info('in timer');
          resolve();
        }, 1),
      );
      await tick();
      logger.info('after immediate');
      bus.emit('placed', 'o-1');
    });
    logger.info('outside');
    const lines = out.lines();
    expect(lines.map((line) => [line.msg, line.requestId, line.correlationId])).toEqual([
      ['start', 'r-1', 'c-1'],
      ['after await', 'r-1', 'c-1'],
      ['in timer', 'r-1', 'c-1'],
      ['after immediate', 'r-1', 'c-1'],
      ['handler', 'r-1', 'c-1'],
      ['outside', undefined, undefined],
    ]);
  });

  it('keeps context in child loggers per slice and module, with their bindings', async () => {
    const out = capture();
    const orders = createLogger({ name: 'api', destination: out }).child({ slice: 'orders' });
    const repo = orders.child({ module: 'repository' });
    await withLogContext({ requestId: 'r-2' }, async () => {
      await withLogContext(
        { eventId: 'e-1', consumer: 'billing', causationId: 'r-2' },
        async () => {
          await sleep(1);
          repo.info('saved');
        },
      );
      orders.warn('done');
    });
    expect(out.lines()).toEqual([
      expect.objectContaining({
        name: 'api',
        slice: 'orders',
        module: 'repository',
        requestId: 'r-2',
        eventId: 'e-1',
        consumer: 'billing',
        causationId: 'r-2',
        msg: 'saved',
      }),
      expect.objectContaining({ slice: 'orders', requestId: 'r-2', level: 40, msg: 'done' }),
    ]);
    expect(out.lines()[1]).not.toHaveProperty('eventId');
  });

  it('lets fields passed to the call win over context fields', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    withLogContext({ requestId: 'from-context' }, () =>
      logger.info({ requestId: 'explicit' }, 'x'),
    );
    expect(out.lines()[0]?.requestId).toBe('explicit');
  });

  it('writes context fields once, right after time, and leaves message fields in order', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    withLogContext({ requestId: 'r-3', correlationId: 'c-3' }, () => logger.info({ a: 1 }, 'x'));
    expect(out.raw[0]).toMatch(
      /^\{"level":30,"time":\d+,"requestId":"r-3","correlationId":"c-3","pid":/,
    );
    expect(out.raw[0]?.match(/"requestId"/g)).toHaveLength(1);
  });

  it('serializes each context on its first line and keeps outer, inner and bound lines apart', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    const later = withLogContext({ requestId: 'r-4' }, () => {
      logger.info('outer before');
      withLogContext({ eventId: 'e-4', requestId: 'r-5' }, () => {
        logger.info('inner');
        logger.info('inner again');
      });
      logger.info('outer after');
      return bindLogContext(() => logger.info('bound'));
    });
    logger.info('outside');
    later();
    expect(out.lines().map(({ msg, requestId, eventId }) => [msg, requestId, eventId])).toEqual([
      ['outer before', 'r-4', undefined],
      ['inner', 'r-5', 'e-4'],
      ['inner again', 'r-5', 'e-4'],
      ['outer after', 'r-4', undefined],
      ['outside', undefined, undefined],
      ['bound', 'r-4', undefined],
    ]);
  });

  it('writes the current millisecond on each line: a context change or a new millisecond is never served a stale time', () => {
    vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['Date'] });
    try {
      const out = capture();
      const logger = createLogger({ destination: out });
      logger.info('a');
      withLogContext({ requestId: 'r-6' }, () => logger.info('b'));
      logger.info('c');
      vi.setSystemTime(1_700_000_000_001);
      logger.info('d');
      withLogContext({ requestId: 'r-6' }, () => logger.info('e'));
      expect(out.lines().map(({ msg, time, requestId }) => [msg, time, requestId])).toEqual([
        ['a', 1_700_000_000_000, undefined],
        ['b', 1_700_000_000_000, 'r-6'],
        ['c', 1_700_000_000_000, undefined],
        ['d', 1_700_000_000_001, undefined],
        ['e', 1_700_000_000_001, 'r-6'],
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('escapes context values and hides URL credentials in them', () => {
    const out = capture();
    const logger = createLogger({ destination: out });
    withLogContext({ requestId: 'say "hi"\n', traceparent: 'redis://u:pw@cache:6379' }, () =>
      logger.info('x'),
    );
    expect(out.lines()[0]).toMatchObject({
      requestId: 'say "hi"\n',
      traceparent: 'redis://u:***@cache:6379',
    });
  });
});

describe('loggerOptions', () => {
  it('points the pretty transport at an absolute pino-pretty path', async () => {
    const { loggerOptions } = await import('./logger-options.js');
    const { existsSync } = await import('node:fs');
    const { isAbsolute } = await import('node:path');
    const options = loggerOptions({ pretty: true, level: 'debug' });
    const target = (options.transport as { target: string }).target;
    expect(isAbsolute(target) && existsSync(target)).toBe(true);
    expect(options.level).toBe('debug');
    expect(loggerOptions({}).transport).toBeUndefined();
  });
});
