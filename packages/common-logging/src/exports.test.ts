import { expect, it } from 'vitest';
import * as entry from './index.js';

// The public surface, pinned (runtime names): a new export is a deliberate change made here too.
it('@vsa/common-logging exports exactly the documented names', () => {
  expect(Object.keys(entry).sort()).toEqual([
    'CENSOR',
    'DEFAULT_REDACT_KEYS',
    'DEFAULT_REDACT_PATHS',
    'LoggingError',
    'bindLogContext',
    'createErrorSerializer',
    'createLogger',
    'getLogContext',
    'loggerOptions',
    'loggingSettings',
    'scrubUrlCredentials',
    'serializeError',
    'withLogContext',
  ]);
});
