// Regenerates package.json's `contributes` from extension/manifest.ts (which reads server/shared/settings.ts).
// Run from the repository root: npm run gen:package. test/extension/manifest.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { withContributes } from '../extension/manifest';

const file = resolve(process.cwd(), 'package.json');
const before = readFileSync(file, 'utf8');
const after = withContributes(before);
if (after === before) {
  console.log('package.json: contributes already up to date');
} else {
  writeFileSync(file, after);
  console.log('package.json: contributes regenerated');
}
