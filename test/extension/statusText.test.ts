import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusParams } from '../../server/protocol/lsp';
import { renderStatus, type StatusContext } from '../../extension/statusText';

const on: StatusContext = { languageDisabled: false, globallyDisabled: false, languageId: 'typescript' };
const ready: StatusParams = { state: 'ready', message: 'ready', arch: 'hawk', ep: 'cpu', lastLatencyMs: 41.6 };

test('before any status: loading spinner', () => {
  const r = renderStatus(undefined, on);
  assert.equal(r.text, '$(sync~spin) Statewise');
  assert.match(r.tooltip, /Starting/);
});

test('loading', () => {
  assert.equal(renderStatus({ state: 'loading', message: 'loading hawk' }, on).text, '$(sync~spin) Statewise');
});

test('indexing shows rounded, clamped progress', () => {
  const r = renderStatus({ state: 'indexing', message: 'indexing 40% (120/300 files)', progress: 40.4 }, on);
  assert.equal(r.text, '$(sync~spin) Statewise 40%');
  assert.match(r.tooltip, /120\/300 files/);
  assert.equal(renderStatus({ state: 'indexing', message: '', progress: 130 }, on).text, '$(sync~spin) Statewise 100%');
  assert.equal(renderStatus({ state: 'indexing', message: '' }, on).text, '$(sync~spin) Statewise');
});

test('ready shows arch·ep and the tooltip lists message, arch, provider and latency', () => {
  const r = renderStatus(ready, on);
  assert.equal(r.text, '$(check) Statewise hawk·cpu');
  assert.equal(r.severity, undefined);
  for (const part of ['Statewise: ready', 'Architecture: hawk', 'Execution provider: cpu', 'Last completion: 42 ms']) {
    assert.ok(r.tooltip.includes(part), `${part} in ${r.tooltip}`);
  }
});

test('ready with a state over the memory cap: a warning, and the tooltip names the sizes and the setting', () => {
  const r = renderStatus({ ...ready, stateOverCap: { bytes: 769 * 2 ** 20, capBytes: 128 * 2 ** 20 } }, on);
  assert.equal(r.text, '$(check) Statewise hawk·cpu');
  assert.equal(r.severity, 'warning');
  assert.match(r.tooltip, /769 MB is over the 128 MB cap.*re-read the whole document.*statewise\.engine\.maxMemoryMB/);
});

test('the tooltip says which provider runs which job and why', () => {
  const split = renderStatus(
    { ...ready, ep: 'cpu+webgpu', providers: { step: 'cpu', keystroke: 'cpu', ingest: 'webgpu' }, epReason: 'auto, median of 5: …' },
    on,
  );
  assert.equal(split.text, '$(check) Statewise hawk·cpu+webgpu');
  assert.ok(split.tooltip.includes('Execution provider: cpu+webgpu (decode steps cpu, keystrokes cpu, ingestion webgpu)'), split.tooltip);
  assert.ok(split.tooltip.includes('Why: auto, median of 5: …'), split.tooltip);
  const fallback = renderStatus(
    {
      ...ready,
      providers: { step: 'cpu', keystroke: 'cpu', ingest: 'cpu' },
      epReason: 'webgpu requested but unavailable (no adapter); cpu runs every job',
    },
    on,
  );
  assert.ok(
    fallback.tooltip.includes(
      'Execution provider: cpu for every job\nWhy: webgpu requested but unavailable (no adapter); cpu runs every job',
    ),
    fallback.tooltip,
  );
});

test('ready with partial engine info', () => {
  assert.equal(renderStatus({ state: 'ready', message: '', arch: 'based' }, on).text, '$(check) Statewise based');
  assert.equal(renderStatus({ state: 'ready', message: '' }, on).text, '$(check) Statewise');
});

test('slow: watch icon, warning background', () => {
  const r = renderStatus({ ...ready, state: 'slow', message: 'p50 900 ms' }, on);
  assert.equal(r.text, '$(watch) Statewise');
  assert.equal(r.severity, 'warning');
});

test('error: message in the tooltip, error background', () => {
  const r = renderStatus({ state: 'error', message: 'model.onnx not found' }, on);
  assert.equal(r.text, '$(error) Statewise');
  assert.equal(r.severity, 'error');
  assert.match(r.tooltip, /model\.onnx not found/);
});

test('disabled by the server', () => {
  assert.equal(renderStatus({ state: 'disabled', message: 'off' }, on).text, '$(circle-slash) Statewise');
});

test('disabled for the active language wins over the server state and says why', () => {
  const r = renderStatus(ready, { languageDisabled: true, globallyDisabled: false, languageId: 'markdown' });
  assert.equal(r.text, '$(circle-slash) Statewise');
  assert.match(r.tooltip, /off for markdown/);
});

test('globally disabled, error kept in the tooltip', () => {
  const r = renderStatus({ state: 'error', message: 'engine crashed' }, { languageDisabled: false, globallyDisabled: true });
  assert.equal(r.text, '$(circle-slash) Statewise');
  assert.match(r.tooltip, /"\*"\] is false/);
  assert.match(r.tooltip, /engine crashed/);
});

test('an unknown state from a newer server still renders', () => {
  const r = renderStatus({ state: 'paused' as StatusParams['state'], message: 'paused' }, on);
  assert.equal(r.text, '$(info) Statewise');
});

test('every text contains "Statewise"', () => {
  for (const state of ['loading', 'indexing', 'ready', 'slow', 'error', 'disabled'] as const) {
    for (const ctx of [on, { languageDisabled: true, globallyDisabled: false }, { languageDisabled: false, globallyDisabled: true }]) {
      assert.match(renderStatus({ state, message: '' }, ctx).text, /Statewise/);
    }
  }
});
