// VS Code-style globs (as in `files.exclude`) turned into matchers. Pure.
// Supported: `**` (any number of path segments), `*` (any run within a segment), `?` (one character
// within a segment), `{a,b}` (alternatives, nestable) and `[abc]` / `[a-z]` / `[!abc]` classes.
// A glob matches a workspace-relative path ('/' separators) whole; an exclude also applies to
// everything below a folder it matches, so `**/gen` excludes `x/gen/a.ts`.

/** Converts one glob to an anchored regular expression. */
export function globToRegExp(glob: string, ignoreCase = false): RegExp {
  const pattern = glob.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  return new RegExp(`^${convert(pattern, 0, false).source}$`, ignoreCase ? 'i' : '');
}

interface Converted {
  source: string;
  end: number;
}

/** Converts `glob` from index `i` up to its end, or (inside braces) up to the closing `}` or a `,`. */
function convert(glob: string, start: number, inBraces: boolean): Converted {
  let out = '';
  let i = start;
  while (i < glob.length) {
    const c = glob[i]!;
    if (inBraces && (c === ',' || c === '}')) break;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/' || (inBraces && i === start);
        let j = i;
        while (glob[j] === '*') j++;
        if (atSegmentStart && glob[j] === '/') {
          out += '(?:[^/]*/)*'; // `**/`: zero or more whole segments
          i = j + 1;
        } else if (atSegmentStart && j === glob.length && out.endsWith('/')) {
          out = `${out.slice(0, -1)}(?:/.*)?`; // trailing `/**`: the folder and everything in it
          i = j;
        } else {
          out += '.*';
          i = j;
        }
      } else {
        out += '[^/]*';
        i++;
      }
    } else if (c === '?') {
      out += '[^/]';
      i++;
    } else if (c === '[') {
      const cls = convertClass(glob, i);
      out += cls.source;
      i = cls.end;
    } else if (c === '{') {
      const alts: string[] = [];
      let j = i + 1;
      let closed = false;
      while (j <= glob.length) {
        const part = convert(glob, j, true);
        alts.push(part.source);
        if (glob[part.end] === ',') {
          j = part.end + 1;
          continue;
        }
        closed = glob[part.end] === '}';
        j = part.end + 1;
        break;
      }
      if (closed) {
        out += `(?:${alts.join('|')})`;
        i = j;
      } else {
        out += '\\{'; // an unclosed brace is literal
        i++;
      }
    } else {
      out += escapeRegExp(c);
      i++;
    }
  }
  return { source: out, end: i };
}

/** `[...]` starting at `start`; an unclosed `[` is a literal. */
function convertClass(glob: string, start: number): Converted {
  let j = start + 1;
  let negate = false;
  if (glob[j] === '!' || glob[j] === '^') {
    negate = true;
    j++;
  }
  let body = '';
  let first = true;
  while (j < glob.length && (glob[j] !== ']' || first)) {
    const c = glob[j]!;
    body += c === '\\' || c === ']' || c === '^' || c === '[' ? `\\${c}` : c;
    first = false;
    j++;
  }
  if (j >= glob.length || body === '') return { source: '\\[', end: start + 1 };
  return { source: negate ? `[^/${body}]` : `[${body}]`, end: j + 1 };
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(c) ? `\\${c}` : c;
}

/**
 * A predicate for `files.exclude`-style maps: keys are globs, only keys set to `true` count.
 * The predicate is true for a path that a glob matches, or that lies in a folder a glob matches.
 */
export function excludeMatcher(exclude: Record<string, unknown> | undefined, ignoreCase = false): (relPath: string) => boolean {
  const res = Object.entries(exclude ?? {})
    .filter(([glob, on]) => on === true && glob.trim() !== '')
    .map(([glob]) => globToRegExp(glob.trim(), ignoreCase));
  if (res.length === 0) return () => false;
  return (relPath) => {
    const parts = relPath.split('/');
    for (let n = 1; n <= parts.length; n++) {
      const prefix = parts.slice(0, n).join('/');
      if (res.some((re) => re.test(prefix))) return true;
    }
    return false;
  };
}
