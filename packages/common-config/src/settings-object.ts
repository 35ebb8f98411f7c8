import { inspect } from 'node:util';
import { ConfigError } from './errors.js';
import { redactValue } from './redact.js';

const secretKeys = new WeakMap<object, ReadonlySet<string>>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function redactedCopy(
  values: Record<string, unknown>,
  secrets: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = secrets.has(key) ? redactValue(value) : value;
  }
  return out;
}

/**
 * Builds the settings object: the parsed values as own enumerable properties, deeply frozen,
 * plus non-enumerable `toJSON`, `toString` and `util.inspect` hooks that redact secrets, so
 * `console.log`, `JSON.stringify`, template strings and loggers never print them.
 */
export function createSettingsObject<T>(
  values: Record<string, unknown>,
  secrets: ReadonlySet<string>,
): T {
  const target: Record<string, unknown> = { ...values };
  Object.defineProperties(target, {
    toJSON: { value: () => redactedCopy(values, secrets), enumerable: false },
    toString: {
      value: () => `Settings ${JSON.stringify(redactedCopy(values, secrets))}`,
      enumerable: false,
    },
    [inspect.custom]: {
      value: (_depth: number, options: object) =>
        inspect(redactedCopy(values, secrets), options as Parameters<typeof inspect>[1]),
      enumerable: false,
    },
  });
  secretKeys.set(target, secrets);
  return deepFreeze(target) as T;
}

/**
 * A plain, frozen copy of `settings` with every secret redacted (URLs keep host and
 * database), e.g. to log the effective configuration at startup.
 *
 * @throws {ConfigError} `VSA_CONFIG_INVALID_ARGUMENT` when `settings` did not come from `loadSettings`.
 */
export function redactSettings(settings: object): Readonly<Record<string, unknown>> {
  const secrets = secretsOf(settings, 'redactSettings()');
  return Object.freeze(redactedCopy({ ...settings } as Record<string, unknown>, secrets));
}

/**
 * The names of the secret variables of a settings object from `loadSettings`.
 *
 * @throws {ConfigError} `VSA_CONFIG_INVALID_ARGUMENT` when `settings` did not come from
 * `loadSettings` (a copy would silently report no secrets).
 */
export function secretVariables(settings: object): readonly string[] {
  return [...secretsOf(settings, 'secretVariables()')];
}

function secretsOf(settings: unknown, caller: string): ReadonlySet<string> {
  const secrets =
    typeof settings === 'object' && settings !== null ? secretKeys.get(settings) : undefined;
  if (secrets === undefined) {
    throw new ConfigError(
      'VSA_CONFIG_INVALID_ARGUMENT',
      `${caller} needs the object returned by loadSettings() (a copy or spread loses which keys are secret)`,
    );
  }
  return secrets;
}
