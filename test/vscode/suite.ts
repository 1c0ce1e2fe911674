// Runs inside VS Code desktop's extension host (@vscode/test-electron; test/vscode/runTests.ts starts
// it): activation, the contributed commands registered, settings defaults equal server/shared/settings.ts,
// the inline-completion provider registered and answering. A tiny runner: no mocha needed.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { StatewiseApi } from '../../extension/extension';
import { COMMAND } from '../../extension/manifest';
import { SECTION, SETTINGS } from '../../server/shared/settings';

const EXTENSION_ID = 'statewise.statewise';
const cases: [string, () => Promise<void>][] = [];
const it = (name: string, fn: () => Promise<void>) => cases.push([name, fn]);

async function api(): Promise<StatewiseApi> {
  const ext = vscode.extensions.getExtension<StatewiseApi>(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext.activate();
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))]);

it('activates and reaches ready', async () => {
  const a = await api();
  await within(a.ready, 180_000, 'ready');
  assert.ok(['ready', 'slow'].includes(a.status()?.state ?? ''), JSON.stringify(a.status()));
});

it('registers every contributed command', async () => {
  await api();
  const all = new Set(await vscode.commands.getCommands(true));
  for (const id of Object.values(COMMAND)) assert.ok(all.has(id), id);
});

it('settings defaults are the ones in server/shared/settings.ts', async () => {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  for (const s of SETTINGS) assert.deepEqual(cfg.inspect(s.key)?.defaultValue, s.default, s.key);
});

it('an inline-completion provider is registered for TypeScript and answers', async () => {
  const a = await api();
  await a.ready;
  const doc = await vscode.workspace.openTextDocument({
    language: 'typescript',
    content: 'export function add(a: number, b: number): number {\n  return ',
  });
  await vscode.window.showTextDocument(doc);
  const provider = a.inlineCompletionProvider(doc);
  assert.ok(provider, 'provider registered');
  const end = doc.lineAt(doc.lineCount - 1).range.end;
  const ctx: vscode.InlineCompletionContext = {
    triggerKind: vscode.InlineCompletionTriggerKind.Invoke,
    selectedCompletionInfo: undefined,
  } as vscode.InlineCompletionContext;
  const result = await within(
    Promise.resolve(provider.provideInlineCompletionItems(doc, end, ctx, new vscode.CancellationTokenSource().token)),
    60_000,
    'completion',
  );
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  assert.ok(items.length >= 1, 'at least one completion');
});

it('a markdown document gets no completion (off by default)', async () => {
  const a = await api();
  const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: '# Notes\n\nThe state is ' });
  const provider = a.inlineCompletionProvider(doc);
  const ctx = {
    triggerKind: vscode.InlineCompletionTriggerKind.Invoke,
    selectedCompletionInfo: undefined,
  } as vscode.InlineCompletionContext;
  const result = provider
    ? await provider.provideInlineCompletionItems(doc, new vscode.Position(2, 13), ctx, new vscode.CancellationTokenSource().token)
    : undefined;
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  assert.equal(items.length, 0);
});

/** Entry point test-electron calls in the extension host. */
export async function run(): Promise<void> {
  let failed = 0;
  for (const [name, fn] of cases) {
    try {
      await fn();
      console.log(`ok   ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name}: ${(e as Error).stack ?? String(e)}`);
    }
  }
  console.log(`vscode: ${cases.length - failed} passed, ${failed} failed`);
  if (failed) throw new Error(`${failed} VS Code test(s) failed`);
}
