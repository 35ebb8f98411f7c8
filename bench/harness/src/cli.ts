// `pnpm reliability [--profile quick|full] [--system vsa-bus|pg-boss] [--scenario name]`
// Runs every scenario against every adapter on a private PostgreSQL cluster and prints one table.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runApiSuite } from './api-suite.js';
import { createPrivateCluster, type PrivateCluster } from './cluster.js';
import {
  type CellResult,
  PROFILES,
  runCell,
  SCENARIOS,
  type Scenario,
  SYSTEMS,
  type SystemName,
} from './driver.js';
import { formatTable } from './table.js';

const { values } = parseArgs({
  options: {
    profile: { type: 'string', default: 'quick' },
    system: { type: 'string', multiple: true },
    scenario: { type: 'string', multiple: true },
    out: { type: 'string' },
    suite: { type: 'string', default: 'queue' },
  },
});

if (values.suite === 'api') {
  const started = Date.now();
  const { checks, firstDeliveryAfterRestartS } = await runApiSuite();
  process.stdout.write('| check | result | detail |\n|---|---|---|\n');
  for (const c of checks) {
    process.stdout.write(
      `| ${c.name} | ${c.ok === 'skipped' ? 'skipped' : c.ok ? 'ok' : 'FAIL'} | ${c.detail} |\n`,
    );
  }
  process.stdout.write(
    `first consumer delivery after kill -9 + restart: ${firstDeliveryAfterRestartS ?? 'none'} s; suite ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
  process.exit(checks.some((c) => c.ok === false) ? 1 : 0);
}
const profileName = values.profile === 'full' ? 'full' : 'quick';
const profile = PROFILES[profileName];
const systems = (values.system ?? Object.keys(SYSTEMS)) as SystemName[];
const scenarios = (values.scenario ?? [...SCENARIOS]) as Scenario[];

let cluster: PrivateCluster | undefined;
const cleanup = async (): Promise<void> => {
  await cluster?.destroy();
  cluster = undefined;
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

const started = Date.now();
const results: CellResult[] = [];
const log: string[] = [];
try {
  cluster = await createPrivateCluster();
  process.stderr.write(`private cluster on port ${cluster.port} in ${cluster.dir}\n`);
  for (const system of systems) {
    for (const scenario of scenarios) {
      const t = Date.now();
      try {
        results.push(await runCell(cluster, system, scenario, profile, log));
      } catch (error) {
        process.stderr.write(`${scenario} ${system}: ${(error as Error).stack}\n`);
      }
      process.stderr.write(`  ${scenario} ${system}: ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
    }
  }
} finally {
  await cleanup();
}
process.stdout.write(`${formatTable(results)}\n`);
process.stdout.write(`profile ${profile.name}: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
const out = values.out ?? (profileName === 'full' ? 'reliability-results.json' : undefined);
if (out) {
  writeFileSync(
    out,
    `${JSON.stringify({ profile, results, adapterLog: log.slice(-2000) }, null, 2)}\n`,
  );
  process.stdout.write(`results written to ${out} (PNG plots not produced)\n`);
}

// CI gate: our bus must account for every job; pg-boss's figures are reported, never gating.
const broken = results.filter(
  (r) => r.system === 'vsa-bus' && (r.jobsLost > 0 || r.duplicates > 0),
);
const missing = systems.length * scenarios.length - results.length;
if (broken.length > 0 || missing > 0) {
  process.stdout.write(
    `FAILED: ${broken.length} vsa-bus cells lost or duplicated jobs; ${missing} cells did not run\n`,
  );
  process.exitCode = 1;
}
