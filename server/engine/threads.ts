// How many intra-op threads onnxruntime gets when `statewise.engine.threads` is 0 (the default).
// onnxruntime's own default is one per physical core. On this project's 2-core machine, five alternated
// runs of `statewise bench --quick --keystrokes 8 --ep cpu --only engine --sizes 1000,10000` (2026-12-07),
// medians of the runs' keystroke p50 at ~1k / ~1k + workspace / ~10k / ~10k + workspace: one thread
// 51 / 54 / 52 / 47 ms, two threads 68 / 66 / 59 / 55 ms; feeding the 10k-token document took 3.2 s
// against 2.9 s (folding in 256-token chunks gains from the second thread, a keystroke's single-token
// steps do not, and the engine's own thread needs a core). On a 16-core machine a decode step took
// 2.1 ms with 4 threads and 11.7 ms with 16 (docs/bench/h100-2026-12-07-scan/shipped/step_threads.txt).
// So: half the cores, at least 1, at most 4; keystrokes first, the background fold second.
export const MAX_DEFAULT_THREADS = 4;

/** Intra-op threads for a session: the setting when it is set (> 0), else half of `cores`, 1..4. */
export function intraOpThreads(setting: number, cores: number): number {
  if (setting > 0) return setting;
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, Math.floor(cores / 2)));
}
