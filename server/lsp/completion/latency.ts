// Recent completion latencies, for the status bar: percentiles and a "slow" flag.

export interface LatencyOptions {
  /** Latencies kept (the newest). Default 100. */
  size?: number;
  /** Mean latency above which the server counts as slow. Default 1500 ms. */
  slowMs?: number;
  /** Newest latencies averaged for the slow flag. Default 10. */
  slowWindow?: number;
  /** Latencies needed before the flag can be set, so one cold first request does not. Default 3. */
  minSlowSamples?: number;
}

export interface LatencySummary {
  count: number;
  last: number | undefined;
  p50: number | undefined;
  p95: number | undefined;
  slow: boolean;
}

export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;
  private readonly size: number;
  private readonly slowMs: number;
  private readonly slowWindow: number;
  private readonly minSlowSamples: number;

  constructor(options: LatencyOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? 100));
    this.slowMs = options.slowMs ?? 1500;
    this.slowWindow = Math.max(1, Math.floor(options.slowWindow ?? 10));
    this.minSlowSamples = Math.max(1, Math.floor(options.minSlowSamples ?? 3));
  }

  /** Adds one latency in ms; negative or non-finite values are ignored. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  get count(): number {
    return this.samples.length;
  }

  /** The newest latencies, oldest first. */
  recent(n = this.samples.length): number[] {
    const ordered =
      this.samples.length < this.size ? this.samples : [...this.samples.slice(this.next), ...this.samples.slice(0, this.next)];
    return ordered.slice(Math.max(0, ordered.length - n));
  }

  get last(): number | undefined {
    return this.recent(1)[0];
  }

  /** Nearest-rank percentile (0 < p ≤ 100) of the window; undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.samples.length === 0) return undefined;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  get p50(): number | undefined {
    return this.percentile(50);
  }

  get p95(): number | undefined {
    return this.percentile(95);
  }

  /** Mean of the newest `slowWindow` latencies above `slowMs`, once `minSlowSamples` were recorded. */
  get slow(): boolean {
    if (this.samples.length < this.minSlowSamples) return false;
    const last = this.recent(this.slowWindow);
    return last.reduce((a, b) => a + b, 0) / last.length > this.slowMs;
  }

  summary(): LatencySummary {
    return { count: this.count, last: this.last, p50: this.p50, p95: this.p95, slow: this.slow };
  }
}
