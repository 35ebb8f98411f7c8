export { httpSettings, type NodeEnv, runtimeSettings, type TrustProxy } from './base-settings.js';
export { envBoolean } from './env-boolean.js';
export {
  checkEnvExample,
  type EnvExampleReport,
  envExampleVariables,
  formatEnvExample,
} from './env-example.js';
export { readEnvFile } from './env-file.js';
export {
  ConfigError,
  type ConfigErrorCode,
  SettingsError,
  type SettingsIssue,
} from './errors.js';
export { type ExitIo, loadSettingsOrExit } from './exit-on-error.js';
export type { Settings, SettingsFragment } from './fragments.js';
export { type LoadSettingsOptions, loadSettings } from './load-settings.js';
export { redactValue } from './redact.js';
export { readSettingMeta, type SettingMeta } from './setting-meta.js';
export { redactSettings, secretVariables } from './settings-object.js';
