import { invalidArgument } from './errors.js';

const FRAGMENT: unique symbol = Symbol('vsa.sqlFragment');

/**
 * A piece of SQL text with its own parameters, built only by {@link sqlFragment},
 * {@link sqlIdentifier} or {@link sqlJoin}: never from a plain string.
 */
export interface SqlFragment {
  readonly [FRAGMENT]: true;
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
}

/** Statement text with `$n` placeholders and its parameters. */
export interface CompiledSql {
  readonly text: string;
  readonly params: unknown[];
}

function isFragment(value: unknown): value is SqlFragment {
  return typeof value === 'object' && value !== null && FRAGMENT in value;
}

function makeFragment(strings: readonly string[], values: readonly unknown[]): SqlFragment {
  return { [FRAGMENT]: true, strings, values };
}

/**
 * A reusable SQL fragment for `db.sql`: its values stay parameters when embedded.
 *
 * @example
 * const byStatus = sqlFragment`status = ${status}`;
 * await db.sql`select * from orders where ${byStatus}`;
 */
export function sqlFragment(
  strings: TemplateStringsArray,
  ...values: readonly unknown[]
): SqlFragment {
  if (!Array.isArray(strings)) {
    throw invalidArgument(
      'sqlFragment must be used as a tagged template (sqlFragment`status = <interpolated value>`), not called',
    );
  }
  return makeFragment(strings, values);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Validates and double-quotes one identifier part. */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > 63) {
    throw invalidArgument(
      `Invalid SQL identifier ${JSON.stringify(name)}: use letters, digits, _ or $ (not first), at most 63 characters`,
    );
  }
  return `"${name}"`;
}

/**
 * A validated, quoted (optionally schema-qualified) identifier for `db.sql`.
 *
 * @example
 * await db.sql`select count(*) from ${sqlIdentifier('vsa_events', 'events')}`;
 */
export function sqlIdentifier(...parts: readonly string[]): SqlFragment {
  if (parts.length === 0 || parts.length > 3) {
    throw invalidArgument('sqlIdentifier takes 1 to 3 parts (schema, table, column)');
  }
  return makeFragment([parts.map(quoteIdentifier).join('.')], []);
}

/** Joins fragments (or values, which become parameters) with a separator such as `, `. */
export function sqlJoin(items: readonly unknown[], separator = ', '): SqlFragment {
  if (!Array.isArray(items)) {
    throw invalidArgument('sqlJoin(items, separator?): items must be an array');
  }
  if (typeof separator !== 'string' || !/^[\s,]*(and|or)?[\s,]*$/i.test(separator)) {
    throw invalidArgument('sqlJoin separator may only be commas, whitespace, AND or OR');
  }
  if (items.length === 0) return makeFragment([''], []);
  const strings = [''];
  for (let i = 1; i < items.length; i++) strings.push(separator);
  strings.push('');
  return makeFragment(strings, items);
}

function append(
  strings: readonly string[],
  values: readonly unknown[],
  out: { text: string; params: unknown[] },
): void {
  out.text += strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (isFragment(value)) {
      append(value.strings, value.values, out);
    } else {
      out.params.push(value);
      out.text += `$${out.params.length}`;
    }
    out.text += strings[i + 1] ?? '';
  }
}

/** Compiles a tagged template (with nested fragments) into text + parameters. */
export function compileSql(strings: readonly string[], values: readonly unknown[]): CompiledSql {
  if (!Array.isArray(strings)) {
    throw invalidArgument('sql must be used as a tagged template, e.g. db.sql`select 1`');
  }
  // Fast path: no fragments, the common case on hot paths.
  if (!values.some(isFragment)) {
    let text = strings[0] ?? '';
    for (let i = 1; i < strings.length; i++) text += `$${i}${strings[i]}`;
    return { text, params: values.slice() };
  }
  const out = { text: '', params: [] as unknown[] };
  append(strings, values, out);
  return out;
}
