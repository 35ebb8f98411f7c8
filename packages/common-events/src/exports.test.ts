import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as admin from './admin.js';
import * as root from './index.js';
import * as prometheus from './prometheus.js';
import * as testing from './testing.js';

/** Every name (values and types) an entry point's source exports. */
function exportedNames(file: string): string[] {
  const text = readFileSync(new URL(file, import.meta.url), 'utf8');
  expect(text).not.toMatch(/export \*/);
  const names: string[] = [];
  for (const block of text.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of (block[1] ?? '').split(',')) {
      const name = part.trim().replace(/^type /, '');
      if (name !== '') names.push(name);
    }
  }
  return names.sort();
}

// Growing an entry point is a deliberate change: update the list here with it.
describe('entry points', () => {
  it('the root holds what an application uses (at most 30 names)', () => {
    expect(Object.keys(root).sort()).toEqual([
      'EventBufferFlushError',
      'EventBusError',
      'InvalidPayloadError',
      'UnknownEventTypeError',
      'createEventBus',
      'defineCatalog',
      'defineEvent',
      'eventBusOptionsFromSettings',
      'eventsSettings',
      'getEventsByChannel',
      'publishEvent',
      'subscribe',
    ]);
    expect(exportedNames('./index.ts').length).toBeLessThanOrEqual(30);
  });

  it('./admin holds operator functions and building blocks', () => {
    expect(Object.keys(admin).sort()).toEqual([
      'ConsumerConfigMismatchError',
      'ConsumerGroupNotFoundError',
      'ConsumerStateError',
      'DEFAULT_BACKOFF',
      'DEFAULT_SCHEMA',
      'DeadLetterEventMissingError',
      'EventBufferClosedError',
      'HandlerCrashedError',
      'InvalidArgumentError',
      'InvalidCursorError',
      'InvalidDefinitionError',
      'MAX_EVENTS_PER_PUBLISH',
      'MAX_SEQS_PER_LOOKUP',
      'START',
      'UnsupportedExecutorError',
      'UpcastFailedError',
      'createEventBuffer',
      'createTicker',
      'decodeCursor',
      'discardDeadLetters',
      'encodeCursor',
      'eventMigrations',
      'externalGroupSql',
      'flushEventBuffer',
      'getConsumerStatus',
      'getEventsBySeq',
      'getRecentEvents',
      'installEventStore',
      'isPrismaClient',
      'keyHash',
      'listDeadLetters',
      'migrationSet',
      'pruneEvents',
      'readChannelSql',
      'redriveDeadLetters',
      'resetGroup',
      'retryDelay',
      'tickChannel',
      'tickSql',
      'toQueryable',
      'uuidv7',
      'validateSchemaName',
    ]);
  });

  it('./prometheus holds the Prometheus recorder', () => {
    expect(Object.keys(prometheus).sort()).toEqual(['createPrometheusMetrics']);
  });

  it('./testing holds the history checker', () => {
    expect(Object.keys(testing).sort()).toEqual(['checkHistory']);
  });

  it('no name is exported by two entry points', () => {
    const [r, a, t, p] = ['./index.ts', './admin.ts', './testing.ts', './prometheus.ts'].map(
      exportedNames,
    );
    const all = [...(r ?? []), ...(a ?? []), ...(t ?? []), ...(p ?? [])];
    expect(all.length).toBe(new Set(all).size);
  });
});
