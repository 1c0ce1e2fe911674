// Comparing engine model states in tests.
import assert from 'node:assert/strict';
import type { Engine } from '../../server/engine/engine';
import type { State } from '../../server/engine/model';

/** The engine's current workspace root state (a private field, read for the test). */
export function rootState(e: Engine): State {
  return (e as unknown as { root: { state: State } }).root.state;
}

/** max |a - b| / max |a| over all state tensors (int8 kernels quantize per call: not bit-exact in general). */
export function relDiff(a: State, b: State): number {
  let diff = 0;
  let scale = 0;
  for (const [name, t] of a) {
    const x = t.data as Float32Array;
    const y = b.get(name)!.data as Float32Array;
    assert.equal(x.length, y.length);
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(x[i]!));
    }
  }
  return diff / scale;
}

/** `a` and `b` agree within `tolerance` (relDiff): the same fold, up to the int8 kernels' rounding. */
export function assertSameState(a: State, b: State, what: string, tolerance = 5e-2): void {
  const d = relDiff(a, b);
  assert.ok(d < tolerance, `${what}: max|diff|/max|x| = ${d}`);
}
