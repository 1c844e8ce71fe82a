// Small statistics and reporting helpers for the benchmarks: percentiles and the result table.

/** Nearest-rank percentile (p in 0..100) of the samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export const ms = (value: number): string => `${value.toFixed(1)} ms`;
export const seconds = (valueMs: number): string => `${(valueMs / 1000).toFixed(3)} s`;

export interface ResultRow {
  name: string;
  figure: string;
  target: string;
  /** undefined: no target, or not measured. */
  pass?: boolean;
  note?: string;
}

export function verdict(row: ResultRow): string {
  if (row.pass === undefined) return row.target === '-' ? '-' : 'n/a';
  return row.pass ? 'pass' : 'MISS';
}

/** Prints one line per figure as it is measured: figure, target, pass/miss. */
export function printRow(row: ResultRow): void {
  console.log(`RESULT ${row.name}: ${row.figure} (target ${row.target}) ${verdict(row)}${row.note ? ` — ${row.note}` : ''}`);
}

export function printTable(rows: readonly ResultRow[]): void {
  const header = ['figure', 'measured', 'target', 'verdict', 'vmango 0.6 / note'];
  const cells = rows.map((row) => [row.name, row.figure, row.target, verdict(row), row.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string =>
    c
      .map((v, i) => v.padEnd(widths[i]!))
      .join(' | ')
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const c of cells) console.log(line(c));
}
