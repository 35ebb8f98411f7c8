/**
 * Short human form of a figure: 93.5k, 3.01k, 1.14, 0.032. Three significant digits are all
 * a 2-core shared machine can back up.
 */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${(value / 1e6).toPrecision(3)}M`;
  if (abs >= 1e3) return `${(value / 1e3).toPrecision(3)}k`;
  if (abs === 0) return '0';
  if (abs >= 1) return value.toPrecision(3);
  return value.toPrecision(2);
}
