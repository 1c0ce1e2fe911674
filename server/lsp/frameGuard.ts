// A pass-through guard in front of the LSP message reader on stdin. vscode-jsonrpc believes any
// Content-Length: a client that declares 10^15 bytes makes it buffer every later message as part of
// that one body, so the server never answers again nor exits. The guard follows the same framing
// (headers up to a blank line, then Content-Length bytes of body) and fails the stream when a header
// block grows past MAX_HEADER_BYTES or a declared body past MAX_FRAME_BYTES; the reader reports the
// stream's error and transport.ts exits with code 1 so the client restarts the server. Frames it
// cannot parse pass through untouched: the reader reports those itself.
import { Transform, type TransformCallback } from 'node:stream';

/** Largest body accepted. VS Code syncs no document over 50 MB; JSON escaping at most doubles it. */
export const MAX_FRAME_BYTES = 128 * 1024 * 1024;
/** Largest header block (Content-Length and Content-Type lines are a few dozen bytes). */
export const MAX_HEADER_BYTES = 8 * 1024;

const BLANK_LINE = Buffer.from('\r\n\r\n');

export class FrameGuard extends Transform {
  private header = Buffer.alloc(0);
  /** Body bytes still to pass before the next header; -1 once the framing is lost (pass all). */
  private bodyLeft = 0;

  constructor(
    private readonly maxFrame = MAX_FRAME_BYTES,
    private readonly maxHeader = MAX_HEADER_BYTES,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const problem = this.follow(chunk);
    if (problem) {
      done(new Error(problem));
      return;
    }
    done(null, chunk);
  }

  /** Advances the framing over `chunk`; returns why the stream must stop, if it must. */
  private follow(chunk: Buffer): string | undefined {
    let at = 0;
    while (at < chunk.length && this.bodyLeft >= 0) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= take;
        at += take;
        continue;
      }
      const seen = this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(at)]);
      const end = this.header.indexOf(BLANK_LINE);
      if (end < 0) {
        if (this.header.length > this.maxHeader) return `an LSP header block over ${this.maxHeader} bytes without an end`;
        return undefined;
      }
      const length = contentLength(this.header.subarray(0, end).toString('ascii'));
      at += end + BLANK_LINE.length - seen;
      this.header = Buffer.alloc(0);
      if (length === undefined) {
        this.bodyLeft = -1;
        return undefined;
      }
      if (length > this.maxFrame) return `an LSP message of ${length} bytes declared; the limit is ${this.maxFrame}`;
      this.bodyLeft = length;
    }
    return undefined;
  }
}

/** The Content-Length of a header block, or undefined when it has none that parses. Pure. */
export function contentLength(headers: string): number | undefined {
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    return /^\d+$/.test(value) ? Number(value) : undefined;
  }
  return undefined;
}
