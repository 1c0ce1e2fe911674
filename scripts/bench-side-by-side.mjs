// Prints the engine part of several `statewise bench` reports side by side (one column group per
// report: CPU, WebGPU, auto…), with the provider of each job, its device, and auto's timings.
// Usage: node scripts/bench-side-by-side.mjs cpu.json webgpu.json [auto.json]
import { readFileSync } from 'node:fs';

const reports = process.argv.slice(2).map((f) => ({ file: f, r: JSON.parse(readFileSync(f, 'utf8')) }));
if (reports.length === 0) {
  console.error('usage: node scripts/bench-side-by-side.mjs REPORT.json...');
  process.exit(2);
}
const label = ({ r }) => `--ep ${r.engine?.requestedEp ?? r.options?.ep}`;
for (const x of reports) {
  const e = x.r.engine;
  if (!e) {
    console.log(`${x.file}: no engine part`);
    continue;
  }
  const jobs = e.providers
    ? `decode steps ${e.providers.step}, keystrokes ${e.providers.keystroke}, ingestion ${e.providers.ingest}`
    : e.ep;
  console.log(`${label(x)}: ${e.model.arch} ${e.model.version} on ${jobs}`);
  for (const [p, d] of Object.entries(e.devices ?? {})) console.log(`  ${p}: ${d}`);
  console.log(`  why: ${e.epReason}`);
  if (e.autoTimings && Object.keys(e.autoTimings).length) {
    console.log(
      `  auto medians (ms per call): ${Object.entries(e.autoTimings)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
  }
}
const withEngine = reports.filter((x) => x.r.engine);
// a report run with --gpu-state on,off has each case once per value
const keyOf = (row) => `${row.targetTokens}|${row.workspace}|${row.gpuState ?? ''}`;
const keys = [...new Set(withEngine.flatMap((x) => x.r.engine.rows.map(keyOf)))];
const head = ['tokens', 'workspace', 'gpuState', ...withEngine.flatMap((x) => [`${label(x)} warm ms`, 'p50', 'p95'])];
const rows = keys.map((k) => {
  const [tokens, ws, gpuState] = k.split('|');
  const cells = withEngine.flatMap((x) => {
    const row = x.r.engine.rows.find((r) => keyOf(r) === k);
    return row ? [String(Math.round(row.warmMs)), row.engineMs.p50.toFixed(1), row.engineMs.p95.toFixed(1)] : ['-', '-', '-'];
  });
  return [`~${Number(tokens) / 1000}k`, ws === 'true' ? 'yes' : 'none', gpuState || '-', ...cells];
});
const all = [head, ...rows];
const widths = head.map((_, i) => Math.max(...all.map((l) => l[i].length)));
console.log('\nengine alone, one keystroke at the end of the document: engine-reported ms (warm = feeding the document first)');
console.log(all.map((l) => l.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n'));
