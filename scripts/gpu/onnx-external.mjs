// A graph's external data, read straight from the .onnx bytes: a tiny protobuf reader that walks
// ModelProto.graph (initializers, and the subgraphs of If/Loop/Scan attributes) and lists every tensor
// stored outside the file (name, element type, file, offset, length). Used by weights.mjs.
function* fields(b, pos, end) {
  const varint = () => {
    let v = 0;
    for (let m = 1; ; m *= 128) {
      const x = b[pos++];
      v += (x & 127) * m;
      if (x < 128) return v;
    }
  };
  while (pos < end) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) yield [no, varint()];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const n = varint();
      yield [no, [pos, pos + n]];
      pos += n;
    } else throw new Error(`protobuf wire type ${wire}`);
  }
}

export function externalTensors(b) {
  const out = [];
  const str = ([s, e]) => b.toString('utf8', s, e);
  const tensor = ([s, e]) => {
    const t = { dtype: 0, name: '', ext: {} };
    for (const [no, v] of fields(b, s, e)) {
      if (no === 2) t.dtype = v;
      else if (no === 8) t.name = str(v);
      else if (no === 13) {
        const kv = {};
        for (const [k, x] of fields(b, ...v)) kv[k] = str(x);
        t.ext[kv[1]] = kv[2];
      }
    }
    if (t.ext.location)
      out.push({ name: t.name, dtype: t.dtype, file: t.ext.location, offset: Number(t.ext.offset ?? 0), length: Number(t.ext.length) });
  };
  const graph = ([s, e]) => {
    for (const [no, v] of fields(b, s, e)) {
      if (no === 5) tensor(v);
      else if (no === 1)
        for (const [nf, nv] of fields(b, ...v))
          if (nf === 5)
            for (const [af, av] of fields(b, ...nv)) {
              if (af === 5 || af === 10) tensor(av);
              if (af === 6 || af === 11) graph(av);
            }
    }
  };
  for (const [no, v] of fields(b, 0, b.length)) if (no === 7) graph(v);
  return out;
}
