// The CLI's way to read a source file named on the command line: only a regular file (a symbolic
// link to one is followed), never a FIFO, socket or device (opening one for a blocking read would
// hang the command), no larger than a cap, and UTF-8 text without NUL bytes. Every failure is a
// CliError with the reason, so the command exits 1 with one line instead of hanging or garbling.
import { textOfBytes } from '../lsp/workspace/content';
import { readRegularFile } from '../lsp/workspace/safeRead';
import { CliError } from './args';

/** Largest source file a CLI command reads (the editor syncs nothing above 50 MB either). */
export const CLI_MAX_FILE_BYTES = 16 * 1024 * 1024;

export async function readSourceFile(abs: string, maxBytes = CLI_MAX_FILE_BYTES): Promise<string> {
  let r;
  try {
    r = await readRegularFile(abs, maxBytes, { follow: true });
  } catch (err) {
    throw new CliError(`cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if ('notFile' in r) throw new CliError(`cannot read ${abs}: it is ${r.notFile}, not a regular file`);
  if ('tooBig' in r) throw new CliError(`cannot read ${abs}: ${r.tooBig} bytes is over the limit of ${maxBytes}`);
  const judged = textOfBytes(r.bytes);
  if (!judged.ok) throw new CliError(`cannot read ${abs}: ${judged.reason}`);
  return judged.text;
}
