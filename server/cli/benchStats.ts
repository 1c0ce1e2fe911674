// Summaries and tables for statewise bench. Pure.

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Nearest-rank percentile (0 < p <= 100) of `sorted` (ascending); 0 when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)]!;
}

/** p50, p95 (nearest rank), max and mean of the finite samples, rounded to 0.1; zeros when none. */
export function stats(samples: readonly number[]): Stats {
  const xs = samples.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
  return {
    n: xs.length,
    p50: round1(percentile(xs, 50)),
    p95: round1(percentile(xs, 95)),
    max: round1(xs[xs.length - 1] ?? 0),
    mean: round1(mean),
  };
}

/** `a / b` rounded to 0.01, or null when b is not positive. */
export function ratio(a: number, b: number): number | null {
  return b > 0 ? Math.round((a / b) * 100) / 100 : null;
}

/** Right-aligned columns, two spaces apart. */
export function formatTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((l) => (l[i] ?? '').length)));
  return all.map((l) => l.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');
}

/** A millisecond figure for a table: one decimal below 100 ms, whole above. */
export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '-';
  return n < 100 ? n.toFixed(1) : String(Math.round(n));
}
