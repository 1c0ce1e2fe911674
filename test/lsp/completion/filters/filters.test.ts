// Every filter against its table in ./cases/: a document picture with ║ at the cursor, the raw
// completion, and what the filter should leave. One file so the tables share one test process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  balanceBrackets,
  limitScopeByIndentation,
  removeRepetition,
  stopAtSuffixRepeat,
  trimToLine,
  trimTrailingWhitespace,
  type Filter,
} from '../../../../server/lsp/completion/filters/index';
import { at, type Case } from '../helpers';
import * as balance from './cases/balanceBrackets';
import * as scope from './cases/limitScopeByIndentation';
import * as repetition from './cases/removeRepetition';
import * as suffixRepeat from './cases/stopAtSuffixRepeat';
import * as line from './cases/trimToLine';
import * as trailing from './cases/trimTrailingWhitespace';

const tables: [Filter, Case[]][] = [
  [trimToLine, line.cases],
  [stopAtSuffixRepeat, suffixRepeat.cases],
  [limitScopeByIndentation, scope.cases],
  [balanceBrackets, balance.cases],
  [removeRepetition, repetition.cases],
  [trimTrailingWhitespace, trailing.cases],
];

for (const [filter, cases] of tables) {
  for (const c of cases) {
    test(`${filter.name}: ${c.name}`, () => {
      assert.equal(filter(c.completion, at(c.doc, c.lang, c.eol)), c.want);
    });
  }
}
