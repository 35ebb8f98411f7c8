import { formatValue } from './format.js';
import type { Figure, Ratio, Recorded, Target } from './harness.js';

/** Facts about the machine a result was taken on. */
export interface MachineInfo {
  node: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemoryGiB: number;
  /** `SHOW server_version` of the local server, or null when it could not be reached. */
  postgres: string | null;
}

/** The shape of `bench/results/<name>.json`. */
export interface BenchResults extends Recorded {
  name: string;
  description: string;
  /** ISO date the run started. */
  date: string;
  durationSeconds: number;
  /** Default runs per measurement. */
  runs: number;
  machine: MachineInfo;
  /** Number of targets not met. */
  missed: number;
  /** Set when the benchmark threw; figures recorded before the failure are kept. */
  error?: string;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // First column left-aligned (names), the rest right-aligned (numbers).
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function figureRow(f: Figure): string[] {
  const spread =
    f.min !== undefined && f.max !== undefined ? `${formatValue(f.min)}–${formatValue(f.max)}` : '';
  return [f.name, formatValue(f.value), f.unit, spread, f.runs ? String(f.runs.length) : '1'];
}

function ratioRow(r: Ratio): string[] {
  const rounds =
    r.perRound === undefined
      ? ''
      : ` (median of rounds ${r.perRound.map((v) => formatValue(v)).join(', ')})`;
  return [r.name, formatValue(r.value), `${r.numerator} / ${r.denominator}${rounds}`];
}

function targetRow(t: Target): string[] {
  const op = t.comparison === 'atLeast' ? '≥' : '≤';
  const tol = t.tolerance > 0 ? ` (±${Math.round(t.tolerance * 100)}%)` : '';
  return [
    t.name,
    formatValue(t.value),
    `${op} ${formatValue(t.target)}${tol}`,
    t.met ? '✓ met' : '✗ MISSED',
  ];
}

/** The readable report printed after a run. */
export function renderReport(results: BenchResults): string {
  const out: string[] = [];
  const m = results.machine;
  out.push(`\n${results.name}: ${results.description}`);
  out.push(
    `${results.date} · node ${m.node} · ${m.cpus} × ${m.cpuModel} · postgres ${m.postgres ?? 'n/a'} · ${results.durationSeconds.toFixed(1)} s`,
  );
  if (results.figures.length > 0) {
    out.push(
      '',
      table(['figure', 'median', 'unit', 'min–max', 'runs'], results.figures.map(figureRow)),
    );
  }
  if (results.ratios.length > 0) {
    out.push('', table(['ratio (same run)', 'value', 'of'], results.ratios.map(ratioRow)));
  }
  if (results.targets.length > 0) {
    out.push('', table(['target', 'value', 'target', 'result'], results.targets.map(targetRow)));
  }
  for (const note of results.notes) out.push(`note: ${note}`);
  if (results.error) out.push('', `ERROR: ${results.error}`);
  if (results.missed > 0) {
    out.push('', `MISSED ${results.missed} of ${results.targets.length} targets`);
  } else if (results.targets.length > 0) {
    out.push('', `all ${results.targets.length} targets met`);
  }
  return `${out.join('\n')}\n`;
}
