import { describe, expect, it } from 'vitest';
import { loggingSettings } from './logging-settings.js';

describe('loggingSettings', () => {
  it('defaults to info and JSON lines', () => {
    expect(loggingSettings.parse({})).toEqual({ LOG_LEVEL: 'info', LOG_PRETTY: false });
  });

  it('parses "false" as false and "true" as true', () => {
    expect(loggingSettings.parse({ LOG_PRETTY: 'false' }).LOG_PRETTY).toBe(false);
    expect(loggingSettings.parse({ LOG_PRETTY: 'TRUE', LOG_LEVEL: 'debug' })).toEqual({
      LOG_LEVEL: 'debug',
      LOG_PRETTY: true,
    });
  });

  it('rejects unknown levels and booleans', () => {
    expect(loggingSettings.safeParse({ LOG_LEVEL: 'verbose' }).success).toBe(false);
    expect(loggingSettings.safeParse({ LOG_PRETTY: 'sometimes' }).success).toBe(false);
  });

  it('documents each variable for @vsa/common-config', () => {
    for (const schema of Object.values(loggingSettings.shape)) {
      expect(schema.meta()).toEqual({
        description: expect.any(String),
        example: expect.any(String),
      });
    }
  });
});
