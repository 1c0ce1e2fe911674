// The download path for 'gpu-buffer' states (server/engine/gpuDownload.ts): the identity graph it
// writes is a valid ONNX model that onnxruntime runs, every input coming back unchanged, whatever the
// number of inputs, their ranks and element types. On the CPU provider here (CI has no GPU); on a
// GPU the same graph runs on WebGPU with outputs on the CPU (scripts/gpu-probe.sh checks it there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { identityModel, sessionDownloader } from '../../server/engine/gpuDownload';

test('identityModel: onnxruntime loads it; each output is its input, any rank and type', async () => {
  const s = await ort.InferenceSession.create(identityModel(['float32', 'float32', 'int64']));
  assert.deepEqual(s.inputNames, ['in0', 'in1', 'in2']);
  assert.deepEqual(s.outputNames, ['out0', 'out1', 'out2']);
  const a = new ort.Tensor('float32', Float32Array.from([1.5, -2, 3e-8]), [1, 3]);
  const b = new ort.Tensor(
    'float32',
    Float32Array.from({ length: 24 }, (_, i) => i / 7),
    [2, 3, 4],
  );
  const c = new ort.Tensor('int64', BigInt64Array.from([5n, -9n]), [2]);
  const out = await s.run({ in0: a, in1: b, in2: c });
  assert.deepEqual(out.out0!.dims, [1, 3]);
  assert.deepEqual(Array.from(out.out0!.data as Float32Array), Array.from(a.data as Float32Array));
  assert.deepEqual(out.out1!.dims, [2, 3, 4]);
  assert.deepEqual(Array.from(out.out1!.data as Float32Array), Array.from(b.data as Float32Array));
  assert.deepEqual(Array.from(out.out2!.data as BigInt64Array), [5n, -9n]);
  await s.release();
});

test('identityModel: an element type ONNX has no code for here is a clear error', () => {
  assert.throws(() => identityModel(['float32', 'complex64']), /no ONNX element type for "complex64"/);
});

test('sessionDownloader: new CPU tensors with the same values, one session per list of types', async () => {
  const d = sessionDownloader('cpu');
  const t1 = new ort.Tensor('float32', Float32Array.from([1, 2, 3, 4]), [2, 2]);
  const t2 = new ort.Tensor('float32', Float32Array.from([9]), [1]);
  const [o1, o2] = await d([t1, t2]);
  assert.notEqual(o1, t1);
  assert.equal(o1!.location, 'cpu');
  assert.deepEqual(Array.from(o1!.data as Float32Array), [1, 2, 3, 4]);
  assert.deepEqual([...o2!.dims], [1]);
  const again = await d([t2, t1]);
  assert.deepEqual(Array.from(again[1]!.data as Float32Array), [1, 2, 3, 4]);
  await d.release();
});
