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
    // Scenarios whose acceptance failure is printed but does not fail the run (CI names the
    // ones known to fail, so everything else stays gated).
    'allow-fail': { type: 'string', multiple: true },
    // Re-measure once each of our bus's cells that misses the acceptance (the quick profile's
    // phases last seconds, so one noisy window can sink a ratio); both runs are printed.
    retry: { type: 'boolean', default: false },
    // What fails the run: 'acceptance' (issue 18's ratios and 0 lost / 0 duplicates) or
    // 'correctness' (0 lost, 0 duplicates, every cell ran; ratios printed). CI uses the latter:
    // a ratio of a seconds-long phase on a shared 2-core machine is a timing threshold.
    gate: { type: 'string', default: 'acceptance' },
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
  // --allow-fail <text>: a failing check whose name contains it is printed, not gating.
  const allowedChecks = values['allow-fail'] ?? [];
  const gatingChecks = checks.filter(
    (c) => c.ok === false && !allowedChecks.some((a) => c.name.includes(a)),
  );
  for (const c of checks.filter((x) => x.ok === false && !gatingChecks.includes(x))) {
    process.stdout.write(
      `known failure, reported and not gating: ${c.name} (${c.detail.slice(0, 200)})\n`,
    );
  }
  process.exit(gatingChecks.length > 0 ? 1 : 0);
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
  if (values.retry) {
    for (const [i, r] of results.entries()) {
      // Only a ratio is re-measured: a lost or duplicated job is never noise.
      if (r.system !== 'vsa-bus' || acceptanceProblems(r).length === 0) continue;
      if (r.jobsLost > 0 || r.duplicates > 0) continue;
      const again = await runCell(cluster, r.system, r.scenario, profile, log);
      const first = `first run: ${acceptanceProblems(r).join(', ')}`;
      results[i] = { ...again, notes: [...again.notes, `re-measured (${first})`] };
      process.stderr.write(`  ${r.scenario} ${r.system} re-measured\n`);
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

// Gate (issue 18's acceptance): our bus recovers from every chaos scenario (recovery/baseline
// >= 0.95), keeps its rate under every pressure (stress/clean >= 0.9), and accounts for every
// job (0 lost, 0 duplicates). pg-boss's figures are reported, never gating.
const allowed = new Set(values['allow-fail'] ?? []);
const verdicts = results
  .filter((r) => r.system === 'vsa-bus')
  .map((r) => ({ r, problems: acceptanceProblems(r) }));
const failing = verdicts.filter((v) => v.problems.length > 0);
for (const kind of ['chaos', 'pressure'] as const) {
  const cells = verdicts.filter((v) => v.r.kind === kind);
  const ok = cells.filter((v) => v.problems.length === 0).length;
  process.stdout.write(`vsa-bus ${kind}: ${ok}/${cells.length} meet the acceptance\n`);
}
for (const { r, problems } of failing) {
  const known =
    allowed.has(r.scenario) && r.jobsLost === 0 && r.duplicates === 0
      ? ' (its ratio is allowed to fail here: reported, not gating)'
      : '';
  process.stdout.write(`vsa-bus ${r.scenario}: ${problems.join('; ')}${known}\n`);
}
// --allow-fail waives a ratio only: a lost or duplicated job always fails the run.
if (values.gate !== 'acceptance' && values.gate !== 'correctness') {
  throw new Error(`--gate must be acceptance or correctness, got ${values.gate}`);
}
const ratioGates = values.gate === 'acceptance';
const gating = failing.filter(
  (v) => (ratioGates && !allowed.has(v.r.scenario)) || v.r.jobsLost > 0 || v.r.duplicates > 0,
);
if (!ratioGates && failing.length > gating.length) {
  process.stdout.write('ratios are printed, not gating (--gate correctness)\n');
}
const missing = systems.length * scenarios.length - results.length;
if (gating.length > 0 || missing > 0) {
  process.stdout.write(
    `FAILED: ${gating.length} vsa-bus cells miss the acceptance; ${missing} cells did not run\n`,
  );
  process.exitCode = 1;
}

/** What keeps one of our bus's cells from the acceptance, in words (empty: it passes). */
function acceptanceProblems(r: CellResult): string[] {
  const problems: string[] = [];
  if (r.jobsLost > 0) problems.push(`${r.jobsLost} jobs lost`);
  if (r.duplicates > 0) problems.push(`${r.duplicates} duplicate effects`);
  const floor = r.kind === 'chaos' ? 0.95 : r.kind === 'pressure' ? 0.9 : null;
  if (floor !== null && (r.ratio === null || r.ratio < floor)) {
    problems.push(`ratio ${r.ratio === null ? 'none' : r.ratio.toFixed(2)} < ${floor}`);
  }
  return problems;
}
