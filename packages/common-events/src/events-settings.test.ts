import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { eventBusOptionsFromSettings, eventsSettings } from './events-settings.js';
import { validateSchemaName } from './schema-name.js';

describe('eventsSettings', () => {
  it('has working defaults and maps them to createEventBus options', () => {
    const settings = eventsSettings.parse({});
    expect(eventBusOptionsFromSettings(settings)).toEqual({
      schema: 'vsa_events',
      tickIntervalMs: 50,
      buffer: { maxBatch: 1000, maxDelayMs: 1, lanes: 1 },
      consumers: { listen: true, pollIntervalMs: 500 },
    });
  });

  it('reads environment strings, "false" as false', () => {
    const settings = eventsSettings.parse({
      EVENTS_SCHEMA: 'app_events',
      EVENTS_TICK_INTERVAL_MS: '20',
      EVENTS_LISTEN: 'false',
      EVENTS_POLL_INTERVAL_MS: '250',
      EVENTS_BUFFER_MAX_BATCH: '500',
      EVENTS_BUFFER_MAX_DELAY_MS: '0',
      EVENTS_BUFFER_LANES: '4',
    });
    expect(eventBusOptionsFromSettings(settings)).toEqual({
      schema: 'app_events',
      tickIntervalMs: 20,
      buffer: { maxBatch: 500, maxDelayMs: 0, lanes: 4 },
      consumers: { listen: false, pollIntervalMs: 250 },
    });
    expect(eventsSettings.parse({ EVENTS_LISTEN: 'off' }).EVENTS_LISTEN).toBe(false);
    expect(eventsSettings.parse({ EVENTS_LISTEN: 'yes' }).EVENTS_LISTEN).toBe(true);
  });

  it('reports every bad variable at once', () => {
    const result = eventsSettings.safeParse({
      EVENTS_SCHEMA: 'Bad-Name',
      EVENTS_TICK_INTERVAL_MS: '0',
      EVENTS_LISTEN: 'maybe',
      EVENTS_POLL_INTERVAL_MS: 'soon',
      EVENTS_BUFFER_MAX_BATCH: '10001',
      EVENTS_BUFFER_MAX_DELAY_MS: '-1',
      EVENTS_BUFFER_LANES: '1.5',
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'EVENTS_BUFFER_LANES',
      'EVENTS_BUFFER_MAX_BATCH',
      'EVENTS_BUFFER_MAX_DELAY_MS',
      'EVENTS_LISTEN',
      'EVENTS_POLL_INTERVAL_MS',
      'EVENTS_SCHEMA',
      'EVENTS_TICK_INTERVAL_MS',
    ]);
    expect(eventsSettings.safeParse({ EVENTS_SCHEMA: 'pg_events' }).success).toBe(false);
  });

  it('EVENTS_SCHEMA accepts exactly the names createEventBus accepts, with the rule in the message', () => {
    const names = [
      'vsa_events',
      '_x',
      'a1',
      'a'.repeat(48),
      'a'.repeat(49),
      'pg_events',
      'pg',
      'pgx_events',
      '1abc',
      'Upper',
      'with-dash',
      'sp ace',
      '',
    ];
    for (const name of names) {
      const valid = (() => {
        try {
          return validateSchemaName(name) === name;
        } catch {
          return false;
        }
      })();
      expect(eventsSettings.safeParse({ EVENTS_SCHEMA: name }).success, name).toBe(valid);
    }
    const issue = eventsSettings.safeParse({ EVENTS_SCHEMA: 'pg_events' }).error?.issues[0];
    expect(issue?.message).toBe(
      'Invalid schema name: use lower-case letters, digits and _ (not first, not pg_*), at most 48 characters',
    );
  });

  it('documents every variable with a description and an example', () => {
    for (const [name, schema] of Object.entries(eventsSettings.shape)) {
      const meta = schema.meta() as { description?: string; example?: string } | undefined;
      expect(meta?.description, name).toBeTruthy();
      expect(meta?.example, name).toBeTruthy();
    }
  });

  it('rejects a non-object in eventBusOptionsFromSettings', () => {
    expect(() => eventBusOptionsFromSettings(null as never)).toThrow(InvalidArgumentError);
  });
});
