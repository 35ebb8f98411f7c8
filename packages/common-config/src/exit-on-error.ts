import { ConfigError } from './errors.js';
import type { Settings, SettingsFragment } from './fragments.js';
import { type LoadSettingsOptions, loadSettings } from './load-settings.js';

/** Where {@link loadSettingsOrExit} reports and how it stops; injectable for tests. */
export interface ExitIo {
  /** Receives the report; default `process.stderr`. */
  readonly stderr?: { write(text: string): unknown };
  /** Ends the process; default `process.exit`. */
  readonly exit?: (code: number) => never;
}

/**
 * {@link loadSettings} for a program's entry point: on any `VSA_CONFIG_*` error it prints the
 * report (every problem, no secret values) to stderr and exits with code 1, before the
 * program opens a port or a database. Other errors are rethrown.
 *
 * @example
 * // main.ts
 * const settings = loadSettingsOrExit({ fragments: [runtimeSettings, httpSettings], envFile: '.env' });
 */
export function loadSettingsOrExit<const F extends readonly SettingsFragment[]>(
  options: LoadSettingsOptions<F>,
  io: ExitIo = {},
): Settings<F> {
  try {
    return loadSettings(options);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    (io.stderr ?? process.stderr).write(`${error.message}\n`);
    return (io.exit ?? process.exit)(1);
  }
}
