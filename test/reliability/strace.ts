// Reads an `strace -f -s 256 -e trace=%network,openat,open,creat` log for what the offline test
// forbids: internet sockets, any connect, DNS queries, resolver files, files under ~/.cache/Microsoft.
// Usable by hand on a trace file: node --import tsx test/reliability/strace.ts TRACE [HOME]

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface NetworkFindings {
  /** socket(AF_INET|AF_INET6, ...) calls. */
  inetSockets: string[];
  /** connect() calls, to anything (AF_UNIX included: the resolver talks to nscd that way). */
  connects: string[];
  /** connects to port 53 (DNS). */
  dnsConnects: string[];
  /** Datagrams sent with sendto/sendmmsg (DNS queries go out that way). */
  sends: string[];
  /** Names in the DNS queries sent (decoded from the payload). */
  queriedNames: string[];
  /** Opens of the resolver's files: /etc/resolv.conf, /etc/hosts, /etc/nsswitch.conf, /etc/gai.conf. */
  resolverFiles: string[];
  /** Opens under ~/.cache/Microsoft (onnxruntime's telemetry store) or of an onnxruntime.db. */
  telemetryFiles: string[];
  /** Process and thread ids seen. */
  pids: Set<number>;
}

const RESOLVER = /open(at)?\(.*"\/etc\/(resolv\.conf|hosts|nsswitch\.conf|gai\.conf)"/;

export function analyseTrace(text: string, home?: string): NetworkFindings {
  const f: NetworkFindings = {
    inetSockets: [],
    connects: [],
    dnsConnects: [],
    sends: [],
    queriedNames: [],
    resolverFiles: [],
    telemetryFiles: [],
    pids: new Set(),
  };
  const telemetryDir = home ? `${home.replace(/\/$/, '')}/.cache/Microsoft` : undefined;
  for (const line of text.split('\n')) {
    const pid = /^(\d+)\s/.exec(line);
    if (pid) f.pids.add(Number(pid[1]));
    if (/<\.\.\. \w+ resumed>/.test(line)) continue; // the arguments were on the unfinished line
    if (/\bsocket\(AF_INET6?[,\s]/.test(line)) f.inetSockets.push(line);
    if (/\bconnect\(/.test(line)) {
      f.connects.push(line);
      if (/htons\(53\)/.test(line)) f.dnsConnects.push(line);
    }
    if (/\bsend(to|mmsg)\(/.test(line)) {
      f.sends.push(line);
      const name = dnsQueryName(line);
      if (name && !f.queriedNames.includes(name)) f.queriedNames.push(name);
    }
    if (RESOLVER.test(line)) f.resolverFiles.push(line);
    if (
      /\bopen(at)?\(|\bcreat\(/.test(line) &&
      (/DeveloperTools\/\.onnxruntime|onnxruntime\.db/.test(line) || (telemetryDir && line.includes(`"${telemetryDir}`)))
    ) {
      f.telemetryFiles.push(line);
    }
  }
  return f;
}

/** The name asked for by a DNS query in a `sendto(fd, "payload"...` line, or undefined. */
export function dnsQueryName(line: string): string | undefined {
  const m = /send(?:to|mmsg)\(\d+,\s*(?:\[\{msg_hdr=\{[^"]*)?"((?:[^"\\]|\\.)*)"/.exec(line);
  if (!m) return undefined;
  const bytes = unescapeStrace(m[1]!);
  if (bytes.length < 13) return undefined;
  const labels: string[] = [];
  let i = 12;
  while (i < bytes.length && bytes[i]! > 0 && bytes[i]! < 64) {
    const n = bytes[i]!;
    if (i + 1 + n > bytes.length) break;
    labels.push(String.fromCharCode(...bytes.slice(i + 1, i + 1 + n)));
    i += 1 + n;
  }
  return labels.length > 1 ? labels.join('.') : undefined;
}

function unescapeStrace(s: string): number[] {
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '\\': 92, '"': 34 };
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\') {
      out.push(s.charCodeAt(i));
      continue;
    }
    const c = s[++i]!;
    if (c in simple) out.push(simple[c]!);
    else if (c === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out.push(parseInt(oct, 8));
      i += oct.length - 1;
    }
  }
  return out;
}

export function summary(f: NetworkFindings): string {
  return (
    `AF_INET/AF_INET6 sockets ${f.inetSockets.length}, connects ${f.connects.length} (port 53: ${f.dnsConnects.length}), ` +
    `datagrams sent ${f.sends.length}${f.queriedNames.length ? ` (DNS queries for ${f.queriedNames.join(', ')})` : ''}, ` +
    `resolver file opens ${f.resolverFiles.length}, opens under ~/.cache/Microsoft ${f.telemetryFiles.length}, processes/threads ${f.pids.size}`
  );
}

/** The strace binary's version line, or undefined when strace cannot run. */
export function straceVersion(): string | undefined {
  const r = spawnSync('strace', ['-V'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n')[0] : undefined;
}

if (require.main === module) {
  const [file, home] = process.argv.slice(2);
  if (!file) {
    console.error('usage: strace.ts TRACE_FILE [HOME]');
    process.exit(2);
  }
  console.log(summary(analyseTrace(readFileSync(file, 'utf8'), home)));
}
