// Token ids of a text with the engine's tokenizer (tested identical to the Python one), for
// export_onnx.py --sample-ids on machines without the Python tokenizers package.
//   node --import tsx models/python/encode_ids.ts TOKENIZER_JSON TEXT_FILE OUT_IDS_JSON OUT_TEXT
import { readFileSync, writeFileSync } from 'node:fs';
import { CodeTokenizer } from '../../server/engine/tokenizer';

const [tokPath, textPath, idsOut, textOut] = process.argv.slice(2);
const tok = new CodeTokenizer(JSON.parse(readFileSync(tokPath, 'utf8')));
const ids = tok.encode(readFileSync(textPath, 'utf8')).slice(0, 64);
writeFileSync(idsOut, JSON.stringify(ids));
writeFileSync(textOut, tok.decode(ids));
