import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { assertPath } from './env-file.js';
import { ConfigError } from './errors.js';
import { mergeShapes, type SettingsFragment } from './fragments.js';
import { isOptional, readDefault, readSettingMeta } from './setting-meta.js';

/** What {@link checkEnvExample} found. */
export interface EnvExampleReport {
  /** True when nothing is missing and nothing is extra. */
  readonly ok: boolean;
  /** Variables the schema declares that the file does not mention. */
  readonly missing: readonly string[];
  /** Variables the file mentions that no fragment declares. */
  readonly extra: readonly string[];
}

// `NAME=value` or a commented-out `# NAME=value` (the usual way to document an optional variable).
const ASSIGNMENT = /^\s*(?:#\s*)?(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

/**
 * The variable names a dotenv-style file assigns or documents in commented-out assignments.
 *
 * @throws {ConfigError} `VSA_CONFIG_INVALID_ARGUMENT` when `content` is not a string.
 */
export function envExampleVariables(content: string): readonly string[] {
  if (typeof content !== 'string') {
    throw new ConfigError(
      'VSA_CONFIG_INVALID_ARGUMENT',
      `envExampleVariables() needs the file's text as a string, got ${typeof content}`,
    );
  }
  const names = new Set<string>();
  for (const line of content.split(/\r?\n/)) {
    const match = ASSIGNMENT.exec(line);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names];
}

/**
 * Compares an `.env.example` file with the composed schema, so a test can prove the file
 * documents every variable and nothing stale. Commented-out assignments (`# PORT=3000`) count.
 *
 * @example
 * expect(checkEnvExample('.env.example', fragments)).toEqual({ ok: true, missing: [], extra: [] });
 * @throws {ConfigError} `VSA_CONFIG_ENV_FILE` when the file cannot be read,
 * `VSA_CONFIG_INVALID_ARGUMENT` for a bad path or fragments, `VSA_CONFIG_FRAGMENT_CONFLICT`.
 */
export function checkEnvExample(
  path: string,
  fragments: readonly SettingsFragment[],
): EnvExampleReport {
  assertPath(path, 'checkEnvExample()');
  const shape = mergeShapes(fragments, 'checkEnvExample()');
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      'VSA_CONFIG_ENV_FILE',
      `Cannot read ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const documented = new Set(envExampleVariables(content));
  const declared = Object.keys(shape);
  const missing = declared.filter((name) => !documented.has(name));
  const extra = [...documented].filter((name) => !(name in shape));
  return Object.freeze({ ok: missing.length === 0 && extra.length === 0, missing, extra });
}

/**
 * Writes an `.env.example` for the composed schema: each variable with its description,
 * flags and example; variables that may stay unset are commented out.
 *
 * @throws {ConfigError} `VSA_CONFIG_INVALID_ARGUMENT`, `VSA_CONFIG_FRAGMENT_CONFLICT`.
 */
export function formatEnvExample(fragments: readonly SettingsFragment[]): string {
  const shape = mergeShapes(fragments, 'formatEnvExample()');
  const blocks: string[] = [];
  for (const [name, schema] of Object.entries(shape)) {
    const meta = readSettingMeta(schema as z.core.$ZodType);
    const fallback = readDefault(schema as z.core.$ZodType);
    const notes = [
      meta.secret ? 'secret' : undefined,
      meta.requiredInProduction ? 'required in production' : undefined,
      fallback !== undefined ? `default: ${String(fallback.value)}` : undefined,
    ].filter((note) => note !== undefined);
    const lines: string[] = [];
    if (meta.description !== undefined) lines.push(`# ${meta.description}`);
    if (notes.length > 0) lines.push(`# (${notes.join('; ')})`);
    const value = meta.example ?? '';
    lines.push(isOptional(schema as z.core.$ZodType) ? `# ${name}=${value}` : `${name}=${value}`);
    blocks.push(lines.join('\n'));
  }
  return `${blocks.join('\n\n')}\n`;
}
