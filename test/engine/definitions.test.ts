// Definitions from beyond the model's view, fed before the cursor's line, on the real default model:
// a constant defined far up the document (or in a workspace file) is typed at its use site, and the
// state alone (definitions: false) is what the model carried without them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../server/engine/engine';
import type { CompleteParams } from '../../server/protocol/ipc';
import { cpuLoad } from '../helpers/engineRequests';
import { DEFAULT_ARCH, modelDir, REPO } from '../helpers/models';

const never = () => false;
const DEF = 'const RETRY_QUARTZ_42 = "k3v9xq";';
const USE = 'assert.equal(RETRY_QUARTZ_42, "';
// ~1,000 tokens of real code between the definition and its use: far beyond griffin's 256-token window
const filler = readFileSync(join(REPO, 'server', 'engine', 'model.ts'), 'utf8')
  .split('\n')
  .slice(0, 90);

const req = (uri: string, line: number, character: number, extra: Partial<CompleteParams> = {}): CompleteParams => ({
  uri,
  version: 1,
  position: { line, character },
  singleLine: true,
  maxTokens: 10,
  suffixMaxTokens: 0,
  temperature: 0,
  topP: 0.95,
  n: 1,
  ...extra,
});

test('a constant defined ~1k tokens up the document: its line is fed and its value typed; the state alone lost it', async () => {
  const e = new Engine(() => {});
  await e.load(cpuLoad(modelDir(DEFAULT_ARCH)));
  const lines = [DEF, ...filler, USE];
  e.openDocument({ uri: 'file:///app.ts', path: 'src/app.ts', text: lines.join('\n'), version: 1 });
  const at = req('file:///app.ts', lines.length - 1, USE.length);
  const r = await e.complete(at, never);
  assert.deepEqual(r.definitions, [DEF]);
  assert.ok(r.completions[0]!.startsWith('k3v9xq'), JSON.stringify(r.completions));
  const alone = await e.complete({ ...at, definitions: false }, never);
  assert.equal(alone.definitions, undefined);
  assert.ok(alone.promptTokens < r.promptTokens);
});

test('a constant from a workspace file: its definition is fed; one in view is not fed again', async () => {
  const e = new Engine(() => {});
  await e.load(cpuLoad(modelDir(DEFAULT_ARCH)));
  await e.setWorkspace(
    {
      fingerprint: 'defs',
      files: [
        { path: 'src/keys.ts', text: `export ${DEF}\n` },
        { path: 'src/other.ts', text: filler.join('\n') },
      ],
    },
    never,
    () => {},
  );
  const doc = ['import { RETRY_QUARTZ_42 } from "./keys";', USE];
  e.openDocument({ uri: 'file:///app.ts', path: 'src/app.ts', text: doc.join('\n'), version: 1 });
  const r = await e.complete(req('file:///app.ts', 1, USE.length), never);
  assert.deepEqual(r.definitions, [`export ${DEF}`]);
  assert.ok(r.completions[0]!.startsWith('k3v9xq'), JSON.stringify(r.completions));
  // defined two lines up: in view, nothing fed
  const near = [DEF, 'const other = 1;', USE];
  e.openDocument({ uri: 'file:///near.ts', path: 'src/near.ts', text: near.join('\n'), version: 1 });
  const n = await e.complete(req('file:///near.ts', 2, USE.length), never);
  assert.equal(n.definitions, undefined);
});

test('a completion that itself types a far-defined name: the definition is fed there and the rest decoded again', async () => {
  // the e2e fixture: SESSION_COOKIE_NAME defined ~600 tokens up; the line typed so far names nothing yet
  const text = readFileSync(join(REPO, 'test', 'e2e', 'fixtures', 'session.ts'), 'utf8');
  const e = new Engine(() => {});
  await e.load(cpuLoad(modelDir(DEFAULT_ARCH)));
  const doc = `${text.trimEnd()}\nexpect(`;
  const lines = doc.split('\n');
  e.openDocument({ uri: 'file:///session.ts', path: 'src/session.ts', text: doc, version: 1 });
  const at = req('file:///session.ts', lines.length - 1, 'expect('.length, { maxTokens: 24 });
  const r = await e.complete(at, never);
  assert.deepEqual(r.definitions, ['export const SESSION_COOKIE_NAME = "sw_k3v9xq";']);
  assert.ok(r.completions[0]!.startsWith('SESSION_COOKIE_NAME).toBe("sw_k3v9xq"'), JSON.stringify(r.completions));
  const alone = await e.complete({ ...at, definitions: false }, never);
  assert.equal(alone.definitions, undefined);
  assert.ok(!alone.completions[0]!.includes('sw_k3v9xq'), JSON.stringify(alone.completions));
});
