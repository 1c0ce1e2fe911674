// Writes the e2e's long TypeScript file (≥ 2,000 lines): an inventory module of many small, varied
// functions, deterministic. Usage: node test/e2e/long-file.mjs OUT_FILE [LINES]
import fs from 'node:fs';

const ITEMS = ['widget', 'gadget', 'sprocket', 'bearing', 'gasket', 'valve', 'spring', 'bracket', 'washer', 'rivet'];
const OPS = [
  ['total', (n) => `  return items.reduce((sum, it) => sum + it.${n}, 0);`],
  ['max', (n) => `  return items.reduce((m, it) => Math.max(m, it.${n}), -Infinity);`],
  ['min', (n) => `  return items.reduce((m, it) => Math.min(m, it.${n}), Infinity);`],
  ['average', (n) => `  return items.length === 0 ? 0 : items.reduce((sum, it) => sum + it.${n}, 0) / items.length;`],
];
const FIELDS = ['price', 'weight', 'stock', 'reorderLevel'];

export function longFileText(minLines = 2100) {
  const out = [
    '// Inventory: stock levels, prices and reorders for a small parts warehouse.',
    '',
    'export interface Item {',
    '  sku: string;',
    '  name: string;',
    ...FIELDS.map((f) => `  ${f}: number;`),
    '}',
    '',
  ];
  for (let i = 0; out.length < minLines; i++) {
    const item = ITEMS[i % ITEMS.length];
    const [op, body] = OPS[Math.floor(i / ITEMS.length) % OPS.length];
    const field = FIELDS[Math.floor(i / (ITEMS.length * OPS.length)) % FIELDS.length];
    const cap = (s) => s[0].toUpperCase() + s.slice(1);
    const name = `${op}${cap(field)}Of${cap(item)}s${i}`;
    out.push(
      `/** The ${op} ${field} of the ${item}s in stock (batch ${i}). */`,
      `export function ${name}(all: Item[]): number {`,
      `  const items = all.filter((it) => it.name.startsWith('${item}') && it.stock > ${i % 7});`,
      body(field),
      '}',
      '',
    );
  }
  return `${out.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const [file, lines] = process.argv.slice(2);
  fs.writeFileSync(file, longFileText(lines ? Number(lines) : undefined));
}
