import type { output, ZodType } from 'zod';
import { InvalidArgumentError } from './concepts.js';

/** Where options are parsed: named in every message, and the code of the error thrown. */
export interface ParseOptionsAt {
  /** The public entry and argument, e.g. `createEventBus(options)`. */
  readonly where: string;
  /** Code of the {@link InvalidArgumentError} thrown, e.g. `VSA_EVENTS_INVALID_ARGUMENT`. */
  readonly code: string;
}

/** One problem found in an options object. */
export interface OptionIssue {
  /** Dotted path of the option (`backoff.maxMs`); empty for the object itself. */
  readonly path: string;
  /** What is wrong with it. */
  readonly message: string;
}

interface ZodIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, unknown>;
  readonly innerType?: unknown;
  readonly in?: unknown;
  readonly element?: unknown;
  readonly options?: readonly unknown[];
}

const defOf = (schema: unknown): SchemaDef | undefined =>
  (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;

/** Names of the keys an object schema at `path` accepts (through wrappers and unions). */
function acceptedKeys(schema: unknown, path: readonly PropertyKey[]): string[] {
  const def = defOf(schema);
  if (def === undefined) return [];
  if (def.innerType !== undefined) return acceptedKeys(def.innerType, path);
  if (def.type === 'pipe') return acceptedKeys(def.in, path);
  if (def.type === 'union' && def.options !== undefined) {
    return [...new Set(def.options.flatMap((option) => acceptedKeys(option, path)))];
  }
  const [head, ...rest] = path;
  if (def.type === 'array' && head !== undefined) return acceptedKeys(def.element, rest);
  if (def.type !== 'object' || def.shape === undefined) return [];
  if (head === undefined) return Object.keys(def.shape);
  return acceptedKeys(def.shape[String(head)], rest);
}

/** The value at `path`, described without printing strings (they may hold secrets). */
function received(input: unknown, path: readonly PropertyKey[]): string {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return '';
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  if (value === undefined) return ' (not given)';
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return ` (got ${String(value)})`;
  }
  if (Array.isArray(value)) return ' (got an array)';
  return ` (got ${typeof value === 'object' ? 'an object' : `a ${typeof value}`})`;
}

/** An issue, and how it reads in the message (`path: message`, unknown keys under their object). */
type Described = OptionIssue & { readonly text: string };

const prefixed = (path: string, message: string): string =>
  path === '' ? message : `${path}: ${message}`;

function describe(issue: ZodIssueLike, schema: unknown, input: unknown): Described[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const accepted = acceptedKeys(schema, issue.path).join(', ') || 'none';
    const keys = issue.keys ?? [];
    const named = keys.map((key) => `"${key}"`).join(', ');
    const plural = keys.length > 1 ? 's' : '';
    const text = prefixed(path, `unknown option${plural} ${named} (accepted: ${accepted})`);
    // One line of text for the object, one issue per key.
    return keys.map((key, index) => ({
      path: path === '' ? key : `${path}.${key}`,
      message: `unknown option "${key}" (accepted: ${accepted})`,
      text: index === 0 ? text : '',
    }));
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    const message = `expected an options object${received(input, issue.path)}`;
    return [{ path, message, text: message }];
  }
  // Zod's type messages name what was received already.
  const message =
    issue.code === 'invalid_type'
      ? issue.message
      : `${issue.message}${received(input, issue.path)}`;
  return [{ path, message, text: prefixed(path, message) }];
}

/**
 * Parses an options object once, at a public entry, with a zod schema (a `z.strictObject`, so
 * unknown keys are refused with the accepted ones named); defaults come from the schema. The
 * result is the resolved options that inner functions take without checking again.
 *
 * @throws {InvalidArgumentError} with `at.code`, a message listing every problem
 * (`where: unknown option "bachSize" (accepted: batchSize, …); pollIntervalMs: …`), and
 * `details.issues`.
 * @example
 * const schema = z.strictObject({ batchSize: z.int().min(1).default(100) });
 * const options = parseOptions(schema, input, { where: 'subscribe(options)', code: 'VSA_EVENTS_INVALID_ARGUMENT' });
 */
export function parseOptions<S extends ZodType>(
  schema: S,
  input: unknown,
  at: ParseOptionsAt,
): output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const described = (result.error.issues as readonly ZodIssueLike[]).flatMap((issue) =>
    describe(issue, schema, input),
  );
  const text = described
    .map((issue) => issue.text)
    .filter((line) => line !== '')
    .join('; ');
  const issues: OptionIssue[] = described.map(({ path, message }) => ({ path, message }));
  throw new InvalidArgumentError(at.code, `${at.where}: ${text}`, { details: { issues } });
}
