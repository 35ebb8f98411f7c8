import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from './errors.js';

/**
 * Reads a dotenv file with Node's own parser (`util.parseEnv`, the one behind `--env-file`).
 * A missing file yields `undefined` (like `--env-file-if-exists`); an unreadable one throws.
 *
 * @throws {ConfigError} `VSA_CONFIG_INVALID_ARGUMENT` when `path` is not a non-empty string,
 * `VSA_CONFIG_ENV_FILE` when the file exists but cannot be read.
 */
export function readEnvFile(path: string): Record<string, string> | undefined {
  assertPath(path, 'readEnvFile()');
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      'VSA_CONFIG_ENV_FILE',
      `Cannot read env file ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const parsed = parseEnv(content);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) if (value !== undefined) out[key] = value;
  return out;
}

/**
 * Rejects anything but a non-empty string path. `readFileSync` also accepts a number as a file
 * descriptor (0 is stdin), so a stray number must not reach it.
 * @internal
 */
export function assertPath(path: unknown, caller: string): asserts path is string {
  if (typeof path !== 'string' || path === '') {
    throw new ConfigError(
      'VSA_CONFIG_INVALID_ARGUMENT',
      `${caller}: path must be a non-empty file path string, got ${path === '' ? '""' : typeof path}`,
    );
  }
}
