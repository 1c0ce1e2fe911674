// Reads a workspace file without ever blocking on a special file. A FIFO, socket or device where a
// file is expected (e.g. `mkfifo .git/info/exclude`) would block `open(2)` or `read(2)` for ever and
// hold one of libuv's four I/O threads with it. So: the type is checked with (l)stat before opening;
// the open is O_NONBLOCK (a FIFO swapped in after the check opens at once instead of waiting for a
// writer) and, unless links are followed, O_NOFOLLOW; and the open handle is checked again with
// fstat before a byte is read. Only regular files are ever read.

import { constants, promises as fs, type Stats } from 'node:fs';

export type BoundedRead =
  | { bytes: Uint8Array; size: number; mtimeMs: number }
  | { tooBig: number }
  /** Not a regular file (a folder, FIFO, socket, device, or a symbolic link when links are not followed). */
  | { notFile: string };

/** What kind of thing a stat describes, for messages ("a FIFO", "a folder"). */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

// POSIX only; 0 where the platform has no such flag (Windows has no FIFOs in the file system).
const O_NONBLOCK = constants.O_NONBLOCK ?? 0;
const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

/**
 * Reads the regular file `abs` whole unless it is larger than `limit` bytes. `follow`: a symbolic
 * link is followed to its target (which must be a regular file); otherwise a link is not a file.
 * Errors of stat/open/read (ENOENT, EACCES, ELOOP...) are thrown.
 */
export async function readRegularFile(abs: string, limit: number, opts: { follow?: boolean } = {}): Promise<BoundedRead> {
  const follow = opts.follow ?? false;
  const before = follow ? await fs.stat(abs) : await fs.lstat(abs);
  if (!before.isFile()) return { notFile: fileKind(before) };
  if (before.size > limit) return { tooBig: before.size };
  const handle = await fs.open(abs, constants.O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { notFile: fileKind(st) };
    if (st.size > limit) return { tooBig: st.size };
    const buf = Buffer.alloc(st.size);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await handle.read(buf, filled, buf.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return { bytes: buf.subarray(0, filled), size: filled, mtimeMs: st.mtimeMs };
  } finally {
    await handle.close();
  }
}
