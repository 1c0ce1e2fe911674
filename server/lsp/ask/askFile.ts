// The file an Ask is about, when it is not open in the editor: read from disk, refused when it is
// binary (a NUL byte or invalid UTF-8) or over the size cap; and the answer-length bound. Shared by the
// language server and the CLI.
import { textOfBytes } from '../workspace/content';
import { readRegularFile } from '../workspace/safeRead';

/** Largest file an Ask reads (the whole file is fed to the model once, then cached). */
export const ASK_MAX_FILE_BYTES = 1024 * 1024;

/** Most answer tokens an Ask may ask for. */
export const ASK_MAX_ANSWER_TOKENS = 4096;

/** Whether `n` is an allowed answer-token cap (an integer in 1..ASK_MAX_ANSWER_TOKENS). Pure. */
export function validAnswerTokens(n: unknown): boolean {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= ASK_MAX_ANSWER_TOKENS;
}

export type AskFileVerdict = { ok: true; text: string } | { ok: false; reason: string };

/** Judges a file's bytes. Pure. */
export function askFileText(bytes: Uint8Array, maxBytes = ASK_MAX_FILE_BYTES): AskFileVerdict {
  if (bytes.length > maxBytes)
    return { ok: false, reason: `the file is too large for Ask (${bytes.length} bytes; the limit is ${maxBytes})` };
  return textOfBytes(bytes);
}

/** Reads and judges a file on disk. Only a regular file is read (a symbolic link to one is followed);
 *  a FIFO, socket or device is refused without being opened for a blocking read. */
export async function readAskFile(fsPath: string, maxBytes = ASK_MAX_FILE_BYTES): Promise<AskFileVerdict> {
  try {
    const r = await readRegularFile(fsPath, maxBytes, { follow: true });
    if ('notFile' in r) return { ok: false, reason: `${fsPath} is ${r.notFile}, not a regular file; Ask reads only regular files` };
    if ('tooBig' in r) return { ok: false, reason: `the file is too large for Ask (${r.tooBig} bytes; the limit is ${maxBytes})` };
    return askFileText(r.bytes, maxBytes);
  } catch (err) {
    return { ok: false, reason: `cannot read ${fsPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
}
