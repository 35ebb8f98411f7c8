/** A small SVG line of values (oldest first), with its meaning as the accessible name. */
export function Sparkline(props: { values: number[]; label: string }) {
  const { values } = props;
  const width = 120;
  const height = 24;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 2 - (v / max) * (height - 4)).toFixed(1)}`)
    .join(' ');
  return (
    <svg
      class="sparkline"
      role="img"
      aria-label={props.label}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
    >
      <title>{props.label}</title>
      {values.length > 1 ? (
        <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
      ) : (
        <line x1="0" y1={height - 2} x2={width} y2={height - 2} stroke="currentColor" />
      )}
    </svg>
  );
}
