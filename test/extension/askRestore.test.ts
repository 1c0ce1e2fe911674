// The Ask panel's restored state (issue 16 item 8): what the webview saved comes back as data that
// could be anything. parseAskState rebuilds it from checked fields; the renderer escapes every value
// whatever its declared type, so even an unchecked state cannot inject markup.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderTranscript } from '../../extension/askHtml';
import { isAskState, MAX_RESTORED_TURNS, parseAskState, type AskState, type Turn } from '../../extension/askState';

const XSS = '<img src=x onerror="alert(1)">';
const good = {
  askId: 'a',
  question: 'q?',
  answer: 'yes',
  status: 'done',
  tokens: 3,
  lines: { start: 2, end: 4 },
  result: { fileTokens: 10, promptTokens: 12, cachedTokens: 5, generatedTokens: 3, firstTokenMs: 7, latencyMs: 9, arch: 'hawk', ep: 'cpu' },
};

const TAGS = new Set(['header', 'span', 'section', 'div', 'pre', 'code', 'button', 'p']);

/** No tag or attribute came through from the data: every tag is one the renderer writes, none has
 *  an event handler, and every attribute value is quoted and free of quotes. */
function assertNoInjectedMarkup(html: string): void {
  for (const [tag] of html.matchAll(/<[^>]*>/g)) {
    const name = /^<\/?([a-z]+)/.exec(tag)?.[1];
    assert.ok(name && TAGS.has(name), `unexpected tag ${tag}`);
    assert.match(tag, /^<\/?[a-z]+(\s[a-z-]+="[^"<>]*")*>$/, `malformed attributes in ${tag}`);
    const names = [...tag.matchAll(/\s([a-z-]+)="[^"]*"/g)].map((m) => m[1]!);
    assert.ok(
      names.every((n) => ['class', 'data-ask-id', 'data-status', 'data-action'].includes(n)),
      `attributes ${names.join(', ')} in ${tag}`,
    );
  }
}

test('parseAskState keeps a well-formed conversation as it was', () => {
  const s = {
    uri: 'file:///w/a.ts',
    label: 'a.ts',
    turns: [good, { askId: 'b', question: 'q2', answer: '', status: 'error', tokens: 0, error: 'boom' }],
  };
  assert.deepEqual(parseAskState(JSON.parse(JSON.stringify(s))), s);
  assert.ok(isAskState(s));
});

test('parseAskState refuses what is not a conversation, drops malformed turns and fields', () => {
  for (const bad of [
    undefined,
    null,
    3,
    'x',
    [],
    {},
    { uri: 1, label: 'l', turns: [] },
    { uri: '', label: 'l', turns: [] },
    { uri: 'u', label: 7, turns: [] },
    { uri: 'u', label: 'l', turns: {} },
  ]) {
    assert.equal(parseAskState(bad), undefined, JSON.stringify(bad));
    assert.equal(isAskState(bad), false);
  }
  const s = parseAskState({
    uri: 'u',
    label: 'l',
    extra: XSS,
    turns: [
      null,
      5,
      { askId: 1, question: 'q', answer: 'a', status: 'done' },
      { ...good, status: `"><script>alert(1)</script>` },
      { ...good, status: '__proto__' },
      { ...good, question: { toString: 'x' } },
      {
        ...good,
        askId: 'kept',
        tokens: 'NaN',
        lines: { start: XSS, end: 2 },
        result: { ...good.result, latencyMs: '<b>' },
        error: 42,
        html: XSS,
      },
    ],
  })!;
  assert.equal(s.turns.length, 1, 'malformed turns are dropped');
  assert.deepEqual(s.turns[0], { askId: 'kept', question: 'q?', answer: 'yes', status: 'done', tokens: 0 }, 'bad optional fields left out');
  assert.ok(!('extra' in s));
  assert.equal(isAskState({ uri: 'u', label: 'l', turns: [good, null] }), false);
  const long = parseAskState({
    uri: 'u',
    label: 'l',
    turns: Array.from({ length: MAX_RESTORED_TURNS + 10 }, (_, i) => ({ ...good, askId: String(i) })),
  })!;
  assert.equal(long.turns.length, MAX_RESTORED_TURNS);
  assert.equal(long.turns.at(-1)!.askId, String(MAX_RESTORED_TURNS + 9), 'the newest turns are kept');
});

test('hostile restored state renders as text: markup in every string field is escaped', () => {
  const s = parseAskState({
    uri: 'u',
    label: XSS,
    turns: [
      {
        ...good,
        askId: `"${XSS}`,
        question: XSS,
        answer: `${XSS}\n\`\`\`ts\n${XSS}\n\`\`\``,
        error: XSS,
        result: { ...good.result, arch: XSS, ep: XSS },
      },
    ],
  })!;
  const html = renderTranscript(s);
  assertNoInjectedMarkup(html);
  assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'));
});

test('the renderer escapes even a state that skipped the checks (wrong types cast through)', () => {
  const turn = {
    askId: XSS,
    question: XSS,
    answer: XSS,
    status: `x" onmouseover="alert(1)`,
    tokens: XSS,
    lines: { start: XSS, end: { toString: () => XSS } },
    error: XSS,
    result: { fileTokens: XSS, promptTokens: XSS, cachedTokens: 1, generatedTokens: 1, firstTokenMs: 1, latencyMs: 1, arch: XSS, ep: XSS },
  } as unknown as Turn;
  const html = renderTranscript({ uri: 'u', label: XSS, turns: [turn] } as AskState);
  assertNoInjectedMarkup(html);
  assert.match(html, /data-status="error"/, 'an unknown status renders as error');
  assert.match(html, /lines \?–\?/);
});
