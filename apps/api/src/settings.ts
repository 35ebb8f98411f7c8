import {
  httpSettings,
  loadSettingsOrExit,
  runtimeSettings,
  type Settings,
} from '@vsa/common-config';
import { loggingSettings } from '@vsa/common-logging';

/** Every settings fragment the API is composed of; `.env.example` must document each variable. */
export const apiSettingsFragments = [runtimeSettings, httpSettings, loggingSettings] as const;

/** The API's typed, deeply frozen settings. */
export type ApiSettings = Settings<typeof apiSettingsFragments>;

/**
 * Reads the settings once at boot from `env` (default `process.env`) and `.env` beside the
 * app (the real environment wins). On any problem it prints every bad variable and exits 1,
 * before a port or a database is opened.
 */
export function loadApiSettings(
  env: Readonly<Record<string, string | undefined>> = process.env,
): ApiSettings {
  return loadSettingsOrExit({ fragments: apiSettingsFragments, env, envFile: '.env' });
}
