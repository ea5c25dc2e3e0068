/** Small helpers the browser benchmarks print their figures with. */

/** The q-quantile (0..1) of `xs`, nearest rank; NaN for none. */
export function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

/** A plain-text table: the first `labelColumns` columns left-aligned, the figures right-aligned. */
export function table(
  head: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  labelColumns = 1,
): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i < labelColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    line(cells[0]!),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

/** The per-frame cost columns of the SFrame tables: frames, mean/p50/p95/p99 µs, bytes added. */
export function frameCostCells(
  samplesMs: readonly number[],
  frames: number,
  bytesDelta: number,
): (string | number)[] {
  const us = (x: number): string => (x * 1000).toFixed(0);
  return [
    frames,
    us(samplesMs.reduce((a, b) => a + b, 0) / samplesMs.length),
    us(quantile(samplesMs, 0.5)),
    us(quantile(samplesMs, 0.95)),
    us(quantile(samplesMs, 0.99)),
    (bytesDelta / frames).toFixed(1),
  ];
}
