import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine } from '@prisma/schema-engine-wasm';

type EngineModule = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

let loading: Promise<EngineModule> | undefined;

// `lib: es2023` without DOM has no WebAssembly types; this is the slice used here.
interface WasmApi {
  instantiate(
    bytes: Uint8Array,
    imports: Record<string, unknown>,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * The engine's imports with its timers unref'd. The engine never clears a timer (its glue has
 * no clearTimeout), so a timeout it raced against finished work still runs: a 10 s one kept a
 * process that had applied its migrations and closed the database alive for 10 s more. The
 * engine's work always waits on database I/O, which keeps the process alive by itself.
 */
function withUnrefTimers(bg: EngineModule): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...bg };
  for (const [name, value] of Object.entries(bg)) {
    if (!name.startsWith('__wbg_setTimeout_') || typeof value !== 'function') continue;
    const original = value as (...args: unknown[]) => unknown;
    imports[name] = (...args: unknown[]) => {
      const timer = original(...args);
      (timer as { unref?: () => void } | undefined)?.unref?.();
      return timer;
    };
  }
  return imports;
}

/**
 * Loads Prisma's schema engine compiled to WebAssembly. Its own entry imports the `.wasm`
 * as an ES module, which Node 20 cannot do, so the instance is wired by hand once per process.
 */
export function loadSchemaEngine(): Promise<EngineModule> {
  loading ??= (async () => {
    const bg = await import('@prisma/schema-engine-wasm/schema_engine_bg');
    const entry = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm');
    const bytes = await readFile(entry.replace(/schema_engine\.js$/, 'schema_engine_bg.wasm'));
    const { instance } = await wasmApi.instantiate(bytes, {
      './schema_engine_bg.js': withUnrefTimers(bg),
    });
    bg.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return bg;
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}

let engineStarts = 0;

/** How many engines this process started (a test checks an up-to-date run starts none). @internal */
export function schemaEngineStarts(): number {
  return engineStarts;
}

/** A schema engine over `adapter`, with the log lines it wrote. */
export interface EngineHandle {
  readonly engine: SchemaEngine;
  readonly logs: string[];
}

/** Starts an engine over the adapter; the datamodel only names the provider. */
export async function startEngine(
  adapter: SqlMigrationAwareDriverAdapterFactory,
  datamodel = 'datasource db {\n  provider = "postgresql"\n}\n',
): Promise<EngineHandle> {
  const bg = await loadSchemaEngine();
  engineStarts++;
  const logs: string[] = [];
  const engine = await bg.SchemaEngine.new(
    { datamodels: [['schema.prisma', datamodel]] },
    (line: string) => logs.push(line),
    bindMigrationAwareSqlAdapterFactory(adapter),
  );
  return { engine, logs };
}

/** One migration: its folder name and SQL. */
export interface MigrationInput {
  readonly name: string;
  readonly sql: string;
}

/** The list the engine wants, built from in-memory migrations. */
export function migrationList(
  migrations: readonly MigrationInput[],
  lockfile: string | null,
): MigrationList {
  return {
    baseDir: '/migrations',
    lockfile: { path: 'migration_lock.toml', content: lockfile },
    shadowDbInitScript: '',
    migrationDirectories: migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
    })),
  };
}
