import type { CellResult } from './driver.js';

const fmt = (n: number | null, digits = 0): string => (n === null ? '—' : n.toFixed(digits));

/** The one table: scenario | system | baseline rate | ratio | claim p99 | jobs_lost | duplicates | recovery s. */
export function formatTable(results: readonly CellResult[]): string {
  const header = [
    'scenario',
    'system',
    'baseline rate',
    'ratio',
    'claim p99 ms',
    'jobs_lost',
    'duplicates',
    'recovery s',
    'notes',
  ];
  const rows = results.map((r) => [
    r.scenario,
    r.system,
    fmt(r.baselineRate),
    fmt(r.ratio, 2),
    fmt(r.claimP99Ms),
    String(r.jobsLost),
    String(r.duplicates),
    r.kind === 'chaos' ? fmt(r.recoveryS, 1) : '',
    r.notes.join('; '),
  ]);
  const lines = [header, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  lines.splice(1, 0, `|${header.map(() => '---').join('|')}|`);
  return lines.join('\n');
}
