import { expect, it } from 'vitest';
import * as entry from './index.js';

// The public surface, pinned (runtime names): a new export is a deliberate change made here too.
it('@vsa/common-config exports exactly the documented names', () => {
  expect(Object.keys(entry).sort()).toEqual([
    'ConfigError',
    'SettingsError',
    'checkEnvExample',
    'envBoolean',
    'envExampleVariables',
    'formatEnvExample',
    'httpSettings',
    'loadSettings',
    'loadSettingsOrExit',
    'readEnvFile',
    'readSettingMeta',
    'redactSettings',
    'redactValue',
    'runtimeSettings',
    'secretVariables',
  ]);
});
