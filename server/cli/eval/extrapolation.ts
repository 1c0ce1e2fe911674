// statewise eval extrapolation: bits per byte of the same held-out tokens scored at the end of
// windows of 1x, 2x, 4x and 8x the model's training length (see windows.ts), each window from the
// zero state through the engine's score request with scoreLastTokens. A model that uses long
// context gets better (lower) with larger windows; one that breaks past its training length, worse.
import type { Manifest } from '../../engine/manifest';
import type { CliIO } from '../io';
import { COMMON_USAGE, intOption, modelFiles, modelLabel, parseEvalArgs, report, withSession } from './common';
import { loadEvalFiles } from './evalSet';
import { FACTORS, planRegions, windowText } from './windows';

export const EXTRAPOLATION_USAGE = `statewise eval extrapolation [--max-windows N] [--train-length N] ${COMMON_USAGE}`;

/** The manifest's trainLength, else its training.seq, else 2048. */
export function trainLengthOf(m: Partial<Manifest>): number {
  const seq = m.training?.seq;
  return m.trainLength && m.trainLength > 0 ? m.trainLength : typeof seq === 'number' && seq > 0 ? seq : 2048;
}

export async function extrapolationCommand(args: string[], io: CliIO): Promise<number> {
  const o = parseEvalArgs(args, {
    'max-windows': { type: 'string', default: '3' },
    'train-length': { type: 'string' },
  });
  const maxRegions = intOption('max-windows', o.values['max-windows'] as string, 1);
  const files = loadEvalFiles(io, o.files, o.maxBytes);
  return withSession(io, o, async (s) => {
    const t0 = performance.now();
    const { manifest, count } = modelFiles(s);
    const L = intOption('train-length', o.values['train-length'] as string | undefined, 1, trainLengthOf(manifest));
    const largest = Math.max(...FACTORS) * L;
    // Only files that could hold the largest window (at least ~1 character per token) are tokenized.
    const lines = files.map((f) => (f.text.length >= largest ? f.text.split('\n') : []));
    const regions = planRegions(
      lines.map((ls) => ls.map((l) => count('\n' + l))),
      L,
      maxRegions,
    );
    const windows = [];
    for (const factor of FACTORS) {
      let nats = 0,
        tokens = 0,
        bytes = 0,
        windowTokens = 0;
      for (const r of regions) {
        const w = r.windows.find((x) => x.factor === factor)!;
        const text = windowText(lines[r.file], w.start, r.end);
        const res = await s.engine.request('score', { files: [{ path: files[r.file].path, text, scoreLastTokens: r.targetTokens }] });
        nats += res.nats;
        tokens += res.tokens;
        bytes += res.bytes;
        windowTokens += w.tokens;
      }
      windows.push({
        factor,
        windowTokens: regions.length ? Math.round(windowTokens / regions.length) : 0,
        bitsPerByte: bytes ? nats / Math.LN2 / bytes : 0,
        tokens,
        bytes,
        nats,
      });
    }
    const out = {
      metric: 'extrapolation',
      arch: s.load.arch,
      model: modelLabel(s),
      ep: s.load.ep,
      trainLength: L,
      regions: regions.length,
      scoredTokens: regions.reduce((a, r) => a + r.targetTokens, 0),
      windows,
      ms: Math.round(performance.now() - t0),
      regionsDetail: regions.map((r) => ({ path: files[r.file].path, lines: [r.targetStart + 1, r.end], targetTokens: r.targetTokens })),
    };
    const summary =
      regions.length === 0
        ? `${out.arch}: no file is long enough for a ${largest}-token window (8 x training length ${L}); give longer files with --files`
        : `${out.arch}: bits/byte of the same ${out.scoredTokens} tokens (${regions.length} regions) after windows of ${FACTORS.map((f) => `${f}x`).join('/')} ${L} tokens: ` +
          `${windows.map((w) => w.bitsPerByte.toFixed(4)).join(' / ')} (${(out.ms / 1000).toFixed(1)} s)`;
    return report(io, o.json, out, summary);
  });
}
