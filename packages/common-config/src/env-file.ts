import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError } from './errors.js';

/**
 * Reads a dotenv file with Node's own parser (`util.parseEnv`, the one behind `--env-file`).
 * A missing file yields `undefined` (like `--env-file-if-exists`); an unreadable one throws.
 */
export function readEnvFile(path: string): Record<string, string> | undefined {
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
