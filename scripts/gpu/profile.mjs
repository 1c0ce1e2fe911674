// Summary of an onnxruntime profile (enableProfiling JSON) of a few calls, for gpu-placement.mjs
// --profile: per call the run time, the sum of the node kernels, the gap between them (per-call
// overhead) and the Memcpy nodes; per op type, provider and node the time per call; and the GPU's own
// kernel times (WebGPU timestamp queries, the profile's "Api" events) where the device has them.
// The first call in the profile is the warm-up and is left out.
import { readFileSync } from 'node:fs';
import { median } from './stats.mjs';

export function summarise(file, wallMs) {
  const ev = JSON.parse(readFileSync(file, 'utf8'));
  const runs = ev.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const kept = runs.slice(1); // the first call is the warm-up
  const nodes = ev.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const opOf = new Map(nodes.map((e) => [e.name.replace(/_kernel_time$/, ''), e.args?.op_name]));
  const byOp = {};
  const byNode = {};
  const byProvider = {};
  const perRun = kept.map((r, i) => {
    const inRun = nodes.filter((e) => e.ts >= r.ts && e.ts <= r.ts + r.dur);
    const sum = inRun.reduce((a, e) => a + e.dur, 0);
    const memcpy = inRun.filter((e) => /^Memcpy/.test(e.args?.op_name ?? ''));
    for (const e of inRun) {
      const op = e.args?.op_name ?? '?';
      const p = (e.args?.provider ?? '?').replace('ExecutionProvider', '');
      (byOp[op] ??= { count: 0, us: 0, provider: p }).count++;
      byOp[op].us += e.dur;
      if (byOp[op].provider !== p && !byOp[op].provider.includes(p)) byOp[op].provider += `+${p}`;
      (byNode[e.name] ??= { op, provider: p, us: 0 }).us += e.dur;
      (byProvider[p] ??= { count: 0, us: 0 }).count++;
      byProvider[p].us += e.dur;
    }
    return {
      runUs: r.dur,
      nodes: inRun.length,
      nodeSumUs: sum,
      gapUs: r.dur - sum,
      memcpy: memcpy.length,
      memcpyUs: memcpy.reduce((a, e) => a + e.dur, 0),
      ...(wallMs[i + 1] != null ? { wallUs: Math.round(wallMs[i + 1] * 1000) } : {}),
    };
  });
  const k = Math.max(kept.length, 1);
  const per = (o) =>
    Object.fromEntries(
      Object.entries(o).map(([n, v]) => [n, { ...v, count: v.count != null ? v.count / k : undefined, us: Math.round(v.us / k) }]),
    );
  const sortUs = (o, n) =>
    Object.fromEntries(
      Object.entries(per(o))
        .sort((a, b) => b[1].us - a[1].us)
        .slice(0, n),
    );
  // the GPU's own kernel times: one "Api" event per dispatch, not aligned with the CPU clock; split in
  // equal chunks per call when they divide, the first (warm-up) dropped
  const api = ev.filter((e) => e.cat === 'Api');
  let gpu = null;
  if (api.length) {
    const chunk = api.length % runs.length === 0 ? api.length / runs.length : 0;
    const use = chunk ? api.slice(chunk) : api;
    const calls = chunk ? runs.length - 1 : runs.length;
    const ops = {};
    const kernels = {};
    for (const e of use) {
      const node = e.name;
      const op = opOf.get(node) ?? (e.args?.cache_key ?? node).split(/[;:|]/)[0];
      (ops[op] ??= { count: 0, us: 0 }).count++;
      ops[op].us += e.dur;
      (kernels[node] ??= { op, count: 0, us: 0 }).count++;
      kernels[node].us += e.dur;
    }
    const perCall = (o, n) =>
      Object.fromEntries(
        Object.entries(o)
          .sort((a, b) => b[1].us - a[1].us)
          .slice(0, n)
          .map(([x, v]) => [x, { ...v, count: v.count / calls, us: Math.round(v.us / calls) }]),
      );
    gpu = {
      dispatchesPerCall: use.length / calls,
      kernelUsPerCall: Math.round(use.reduce((a, e) => a + e.dur, 0) / calls),
      chunked: !!chunk,
      byOp: perCall(ops, 40),
      topKernels: perCall(kernels, 15),
    };
  }
  return {
    calls: kept.length,
    median: {
      wallUs: median(perRun.map((r) => r.wallUs).filter((x) => x != null)),
      runUs: median(perRun.map((r) => r.runUs)),
      nodeSumUs: median(perRun.map((r) => r.nodeSumUs)),
      gapUs: median(perRun.map((r) => r.gapUs)),
      nodes: median(perRun.map((r) => r.nodes)),
      memcpy: median(perRun.map((r) => r.memcpy)),
      memcpyUs: median(perRun.map((r) => r.memcpyUs)),
    },
    perRun,
    byProvider: per(byProvider),
    byOp: sortUs(byOp, 60),
    topNodes: sortUs(byNode, 15),
    gpu,
  };
}
