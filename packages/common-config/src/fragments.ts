import type { z } from 'zod';
import { ConfigError } from './errors.js';

/** A settings fragment: a zod object whose keys are environment variable names. */
export type SettingsFragment = z.ZodObject;

type UnionToIntersection<U> = (U extends unknown ? (arg: U) => void : never) extends (
  arg: infer I,
) => void
  ? I
  : never;

type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer E)[]
    ? readonly DeepReadonly<E>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** The typed, deeply readonly settings object composed from `F`'s fragments. */
export type Settings<F extends readonly SettingsFragment[]> = DeepReadonly<
  UnionToIntersection<z.output<F[number]>>
>;

/**
 * Merges the fragments' shapes into one dictionary. The same schema under the same name in
 * two fragments is fine (a fragment may reuse another's variable); two different schemas
 * for one name are a programming error.
 */
export function mergeShapes(fragments: unknown, caller: string): Record<string, z.core.$ZodType> {
  if (!Array.isArray(fragments) || fragments.length === 0) {
    throw new ConfigError(
      'VSA_CONFIG_INVALID_ARGUMENT',
      `${caller} needs { fragments: [...] }: a non-empty array of zod object schemas (e.g. runtimeSettings, httpSettings)`,
    );
  }
  const shape: Record<string, z.core.$ZodType> = {};
  fragments.forEach((fragment: unknown, index) => {
    const def = (
      fragment as { _zod?: { def?: { type?: string; shape?: Record<string, z.core.$ZodType> } } }
    )?._zod?.def;
    if (def?.type !== 'object' || def.shape === undefined) {
      throw new ConfigError(
        'VSA_CONFIG_INVALID_ARGUMENT',
        `${caller}: fragments[${index}] is not a zod object schema (build fragments with z.object({...}) from zod 4)`,
      );
    }
    for (const [name, schema] of Object.entries(def.shape)) {
      const existing = shape[name];
      if (existing !== undefined && existing !== schema) {
        throw new ConfigError(
          'VSA_CONFIG_FRAGMENT_CONFLICT',
          `${caller}: variable ${name} is declared by two fragments with different schemas; keep one (reuse it with otherSettings.shape.${name})`,
        );
      }
      shape[name] = schema;
    }
  });
  return shape;
}
