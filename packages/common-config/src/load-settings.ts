import { createEnv } from '@t3-oss/env-core';
import { InvalidArgumentError, parseOptions } from '@vsa/common-errors';
import { z } from 'zod';
import { readEnvFile } from './env-file.js';
import { ConfigError, SettingsError, type SettingsIssue } from './errors.js';
import { mergeShapes, type Settings, type SettingsFragment } from './fragments.js';
import { redactValue } from './redact.js';
import { readSettingMeta, type SettingMeta } from './setting-meta.js';
import { createSettingsObject } from './settings-object.js';

/** Options of {@link loadSettings}. */
export interface LoadSettingsOptions<F extends readonly SettingsFragment[]> {
  /** The fragments to compose, e.g. `[runtimeSettings, httpSettings, loggingSettings, dbSettings]`. */
  readonly fragments: F;
  /** Where to read variables; default `process.env`. Never modified. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * A dotenv file read with Node's parser; variables set (non-empty) in `env` win over it.
   * A missing file is skipped, like `node --env-file-if-exists`. `process.env` is not modified.
   */
  readonly envFile?: string;
}

const MAX_RECEIVED = 60;

// Parsed once at the door; mergeShapes checks each fragment and names the bad one.
const loadSettingsSchema = z.strictObject({
  fragments: z.unknown(),
  env: z
    .custom<Readonly<Record<string, string | undefined>>>(
      (value) => typeof value === 'object' && value !== null,
      'must be a record of strings, e.g. process.env',
    )
    .optional(),
  envFile: z.string().min(1, 'must be a file path').optional(),
});

function parseLoadSettingsOptions(options: unknown): z.output<typeof loadSettingsSchema> {
  try {
    return parseOptions(loadSettingsSchema, options, {
      where: 'loadSettings(options)',
      code: 'VSA_CONFIG_INVALID_ARGUMENT',
    });
  } catch (error) {
    // Only the options' own problems become a ConfigError; anything else (a getter that
    // throws) propagates as it is.
    if (!(error instanceof InvalidArgumentError)) throw error;
    const e = error;
    throw new ConfigError('VSA_CONFIG_INVALID_ARGUMENT', e.message, {
      cause: e,
      ...(e.details ? { details: { ...e.details } } : {}),
    });
  }
}

function isUnset(value: string | undefined): value is undefined {
  return value === undefined || value.trim() === '';
}

/**
 * Reads, validates and freezes the settings of every fragment at once.
 *
 * Empty strings count as unset (so defaults apply); every problem of every variable is
 * collected into one {@link SettingsError}; variables marked `requiredInProduction` must be
 * set when `NODE_ENV=production`; secrets are redacted whenever the object is printed.
 *
 * @example
 * const settings = loadSettings({ fragments: [runtimeSettings, httpSettings], envFile: '.env' });
 * settings.PORT; // number
 * @throws {SettingsError} `VSA_CONFIG_INVALID` listing every invalid or missing variable.
 * @throws {ConfigError} `VSA_CONFIG_INVALID_ARGUMENT`, `VSA_CONFIG_FRAGMENT_CONFLICT`, `VSA_CONFIG_ENV_FILE`.
 */
export function loadSettings<const F extends readonly SettingsFragment[]>(
  options: LoadSettingsOptions<F>,
): Settings<F> {
  const resolved = parseLoadSettingsOptions(options);
  const shape = mergeShapes(resolved.fragments as F, 'loadSettings()');
  const source = resolved.env ?? process.env;
  const fromFile = resolved.envFile === undefined ? undefined : readEnvFile(resolved.envFile);

  // Only the declared variables, empty ones dropped: t3-env deletes keys from the record it
  // is given, so it gets this copy, never the caller's record or process.env.
  const env: Record<string, string> = {};
  const metas = new Map<string, SettingMeta>();
  for (const name of Object.keys(shape)) {
    metas.set(name, readSettingMeta(shape[name] as z.core.$ZodType));
    const own: unknown = source[name];
    if (own !== undefined && typeof own !== 'string') {
      throw new ConfigError(
        'VSA_CONFIG_INVALID_ARGUMENT',
        `loadSettings(): env.${name} must be a string (environment variables are text), got ${typeof own}`,
      );
    }
    const value = isUnset(own) ? fromFile?.[name] : own;
    if (!isUnset(value)) env[name] = value;
  }

  const issues: SettingsIssue[] = [];
  const reported = new Set<string>();
  // Read NODE_ENV even when no fragment declares it: the production rule must not vanish.
  const nodeEnv = isUnset(source.NODE_ENV) ? fromFile?.NODE_ENV : source.NODE_ENV;
  if (nodeEnv?.trim() === 'production') {
    for (const [name, meta] of metas) {
      if (meta.requiredInProduction && env[name] === undefined) {
        issues.push(
          issueFor(name, meta, 'required when NODE_ENV=production, but not set', undefined),
        );
        reported.add(name);
      }
    }
  }

  const parsed = createEnv({
    server: shape as Record<string, z.ZodType>,
    runtimeEnv: env,
    isServer: true,
    emptyStringAsUndefined: true,
    onValidationError: (zodIssues) => {
      for (const issue of zodIssues) {
        const name = String(issue.path?.[0] ?? '');
        if (reported.has(name)) continue;
        const meta = metas.get(name) ?? {};
        issues.push(issueFor(name, meta, describe(issue.message, env[name], meta), env[name]));
      }
      throw new SettingsError(sortIssues(issues, shape));
    },
  }) as Record<string, unknown>;
  if (issues.length > 0) throw new SettingsError(sortIssues(issues, shape));

  const values: Record<string, unknown> = {};
  const secrets = new Set<string>();
  for (const [name, meta] of metas) {
    values[name] = parsed[name];
    if (meta.secret) secrets.add(name);
  }
  return createSettingsObject<Settings<F>>(values, secrets);
}

function describe(message: string, raw: string | undefined, meta: SettingMeta): string {
  if (raw === undefined) return 'required, but not set';
  // Custom messages may quote the input; a secret's value must never reach the output.
  if (meta.secret && message.includes(raw)) return 'invalid value (not shown: secret)';
  return message.replace(/^Invalid input: /, '');
}

function issueFor(
  name: string,
  meta: SettingMeta,
  message: string,
  raw: string | undefined,
): SettingsIssue {
  const issue: { -readonly [K in keyof SettingsIssue]: SettingsIssue[K] } = {
    variable: name,
    message,
    secret: meta.secret === true,
  };
  if (raw !== undefined && !meta.secret) {
    issue.received = raw.length > MAX_RECEIVED ? `${raw.slice(0, MAX_RECEIVED)}…` : raw;
  }
  if (meta.example !== undefined) {
    issue.example = meta.secret ? String(redactValue(meta.example)) : meta.example;
  }
  if (meta.description !== undefined) issue.description = meta.description;
  return issue;
}

function sortIssues(issues: SettingsIssue[], shape: Record<string, unknown>): SettingsIssue[] {
  const order = Object.keys(shape);
  return [...issues].sort((a, b) => order.indexOf(a.variable) - order.indexOf(b.variable));
}
