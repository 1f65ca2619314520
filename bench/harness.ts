/**
 * The shape every benchmark returns. `metrics` holds the keys the issue names (numbers only);
 * `rows` is what the table shows (defaults to the metrics); `notes` are printed underneath.
 */
export interface BenchResult {
  metrics: Record<string, number>;
  rows?: Array<Record<string, string | number>>;
  notes?: string[];
}

export type Bench = (args: string[]) => Promise<BenchResult>;

export function formatTable(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return "(no rows)";
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: string | number | undefined): string =>
    value === undefined ? "" : typeof value === "number" ? formatNumber(value) : value;
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => cell(row[column]).length)),
  );
  const line = (values: string[]): string =>
    values.map((value, i) => value.padEnd(widths[i] as number)).join("  ");
  return [
    line(columns),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map((row) => line(columns.map((c) => cell(row[c])))),
  ].join("\n");
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(3);
}

/** Percentile of an unsorted sample (nearest-rank). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
