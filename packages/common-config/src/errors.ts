import { InvalidArgumentError, type VsaErrorOptions } from '@vsa/common-errors';

/** Error codes thrown by `@vsa/common-config`. */
export type ConfigErrorCode =
  | 'VSA_CONFIG_INVALID'
  | 'VSA_CONFIG_INVALID_ARGUMENT'
  | 'VSA_CONFIG_FRAGMENT_CONFLICT'
  | 'VSA_CONFIG_ENV_FILE';

/** One problem with one variable, safe to print: it never holds a secret's value. */
export interface SettingsIssue {
  /** Environment variable name, e.g. `PORT`. */
  readonly variable: string;
  /** What is wrong, e.g. `expected number, received NaN` or `required, but not set`. */
  readonly message: string;
  /** The value that was read, only for variables that are not secret. */
  readonly received?: string;
  /** An example assignment from the schema's meta (secrets redacted). */
  readonly example?: string;
  /** The variable's description from the schema's meta. */
  readonly description?: string;
  /** True when the variable is marked `secret: true`. */
  readonly secret: boolean;
}

/**
 * Base class of every error this package throws; `code` says which one. A wrong configuration
 * is a wrong input to the program, fixed where it is set (environment, `.env`, fragments), so
 * every code is an `InvalidArgumentError` (HTTP 500).
 */
export class ConfigError extends InvalidArgumentError {
  /** Stable, machine-readable code (`VSA_CONFIG_*`). */
  declare readonly code: ConfigErrorCode;

  constructor(code: ConfigErrorCode, message: string, options?: VsaErrorOptions) {
    super(code, message, options);
  }
}

/**
 * The environment does not satisfy the composed settings schema. `issues` lists every
 * problem (all variables at once, not the first one); `message` is the printable report.
 */
export class SettingsError extends ConfigError {
  /** Every problem found, in schema order. */
  readonly issues: readonly SettingsIssue[];

  constructor(issues: readonly SettingsIssue[]) {
    super('VSA_CONFIG_INVALID', formatIssues(issues));
    this.issues = Object.freeze([...issues]);
  }
}

function formatIssues(issues: readonly SettingsIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  const lines = [`Invalid settings (${count}):`];
  for (const issue of issues) {
    const received = issue.received === undefined ? '' : ` (got ${JSON.stringify(issue.received)})`;
    lines.push(`  - ${issue.variable}: ${issue.message}${received}`);
    const about = [
      issue.example === undefined ? undefined : `example: ${issue.variable}=${issue.example}`,
      issue.description,
    ].filter((part) => part !== undefined);
    if (about.length > 0) lines.push(`      ${about.join('  # ')}`);
  }
  lines.push('Set these variables in the environment or the .env file, then start again.');
  return lines.join('\n');
}
