// --fill-weights MODEL_DIR: writes the weights files that the graphs' external data names (sizes from
// MODEL_DIR/weights.json) with small deterministic values of each tensor's type, so graphs that travel
// to a GPU machine without their weights still run: floats in ±0.03 (scales 0.002..0.01), 8-bit weights
// spread around 128, zero points 128; other types (integers that may be indices or shapes) stay zero.
// A weights file that weights.json does not name but that is in MODEL_DIR is real and left as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { externalTensors } from './onnx-external.mjs';

export function fillWeights(dir) {
  const sizes = JSON.parse(readFileSync(join(dir, 'weights.json'), 'utf8'));
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const bufs = Object.fromEntries(Object.entries(sizes).map(([f, n]) => [f, Buffer.alloc(n)]));
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32; // [0,1)
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const half = (x) => {
    f32[0] = x;
    const u = u32[0];
    const e = ((u >>> 23) & 255) - 127 + 15;
    return ((u >>> 16) & 0x8000) | (e <= 0 ? 0 : (e << 10) | ((u >>> 13) & 1023));
  };
  const seen = new Set();
  let n = 0;
  for (const g of Object.values(m.graphs)) {
    let b;
    try {
      b = readFileSync(join(dir, g.file));
    } catch {
      continue; // a graph left behind (score)
    }
    for (const t of externalTensors(b)) {
      const key = `${t.file}:${t.offset}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const buf = bufs[t.file];
      if (!buf && sizes[t.file] === undefined && existsSync(join(dir, t.file))) continue; // a real file carried along
      if (!buf || t.offset + t.length > buf.length) throw new Error(`${t.name}: ${t.file} ${t.offset}+${t.length} outside the file`);
      const v = buf.subarray(t.offset, t.offset + t.length);
      const scale = /scale/i.test(t.name);
      const fl = () => (scale ? 0.002 + 0.008 * rnd() : (rnd() - 0.5) * 0.06);
      if (t.dtype === 1) for (let i = 0; i + 4 <= v.length; i += 4) v.writeFloatLE(fl(), i);
      else if (t.dtype === 10) for (let i = 0; i + 2 <= v.length; i += 2) v.writeUInt16LE(half(fl()), i);
      else if (t.dtype === 2 && /zero_point/i.test(t.name)) v.fill(128);
      else if (t.dtype === 2 || t.dtype === 3) for (let i = 0; i < v.length; i++) v[i] = 128 + Math.floor((rnd() - 0.5) * 64);
      // other types (integers that may be indices or shapes) stay zero
      n++;
    }
  }
  for (const [f, buf] of Object.entries(bufs)) writeFileSync(join(dir, f), buf);
  console.log(JSON.stringify({ fillWeights: dir, tensors: n, files: sizes }));
}
