import type { z } from 'zod';
import { ConfigError } from './errors.js';

/**
 * The `.meta()` fields `@vsa/common-config` reads from each variable's schema. Fragments set
 * them with plain zod (`.meta({ description, example, secret: true })`); no import needed.
 */
export interface SettingMeta {
  /** One line for humans: shown in errors and in generated `.env.example` files. */
  readonly description?: string;
  /** A realistic value, shown as `NAME=<example>` in errors and `.env.example`. */
  readonly example?: string;
  /** Never print the value: redacted in errors, `inspect`, `JSON.stringify` and logs. */
  readonly secret?: boolean;
  /** Must be set (no default applies) when `NODE_ENV=production`. */
  readonly requiredInProduction?: boolean;
}

type AnySchema = z.core.$ZodType;

interface WrapperDef {
  readonly type: string;
  readonly innerType?: AnySchema;
  readonly in?: AnySchema;
  readonly defaultValue?: unknown;
}

function defOf(schema: AnySchema): WrapperDef {
  return schema._zod.def as unknown as WrapperDef;
}

/** The schema a wrapper (optional, default, pipe, ...) wraps, or undefined. */
function innerOf(schema: AnySchema): AnySchema | undefined {
  const def = defOf(schema);
  if (def.innerType !== undefined) return def.innerType;
  if (def.type === 'pipe' && def.in !== undefined) return def.in;
  return undefined;
}

/**
 * Reads the meta of a variable's schema from zod's global registry, walking through
 * wrappers so `z.url().meta({...}).optional()` and `z.url().optional().meta({...})` both
 * work; the outermost value wins.
 *
 * @throws {ConfigError} `VSA_CONFIG_INVALID_ARGUMENT` when `schema` is not a zod 4 schema.
 */
export function readSettingMeta(schema: AnySchema): SettingMeta {
  if ((schema as { _zod?: { def?: unknown } } | null | undefined)?._zod?.def === undefined) {
    throw new ConfigError(
      'VSA_CONFIG_INVALID_ARGUMENT',
      'readSettingMeta() needs a zod 4 schema, e.g. httpSettings.shape.PORT',
    );
  }
  const chain: AnySchema[] = [];
  for (
    let s: AnySchema | undefined = schema;
    s !== undefined && chain.length < 16;
    s = innerOf(s)
  ) {
    chain.push(s);
  }
  const merged: Record<string, unknown> = {};
  // Inner first, so outer meta overrides it.
  for (const s of chain.reverse()) {
    const meta = (s as z.ZodType).meta?.() as Record<string, unknown> | undefined;
    if (meta) Object.assign(merged, meta);
  }
  const out: { -readonly [K in keyof SettingMeta]: SettingMeta[K] } = {};
  if (typeof merged.description === 'string') out.description = merged.description;
  if (merged.example !== undefined && merged.example !== null) out.example = String(merged.example);
  if (merged.secret === true) out.secret = true;
  if (merged.requiredInProduction === true) out.requiredInProduction = true;
  return out;
}

/** The default value of a variable's schema, if it declares one. */
export function readDefault(schema: AnySchema): { readonly value: unknown } | undefined {
  for (
    let s: AnySchema | undefined = schema, i = 0;
    s !== undefined && i < 16;
    s = innerOf(s), i++
  ) {
    const def = defOf(s);
    if (def.type === 'default' || def.type === 'prefault') return { value: def.defaultValue };
  }
  return undefined;
}

/** True when the variable may be left unset (optional or defaulted). */
export function isOptional(schema: AnySchema): boolean {
  // zod 4 marks `.optional()` as 'optional' and `.default()` as 'defaulted'.
  return schema._zod.optin !== undefined;
}
