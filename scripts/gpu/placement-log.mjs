// Parsing onnxruntime's verbose session log (a placement child's stdout + stderr) for gpu-placement.mjs:
// the "Node(s) placed on [EP]. Number of nodes: N" lines, and the nodes listed under the CPU header
// (op type counts, and the first 120 as "OpType name").
export function placement(log) {
  const placed = [...log.matchAll(/(?:Node\(s\)|All nodes) placed on \[(\w+)\]\. Number of nodes: (\d+)/g)].map((m) => `${m[1]} ${m[2]}`);
  // the node list follows the CPU header: " OpType (name)" lines
  const cpuAt = log.indexOf('placed on [CPUExecutionProvider]');
  const cpuOps = {};
  const cpuNodes = [];
  if (cpuAt >= 0 && !/All nodes placed on \[CPU/.test(log))
    for (const line of log.slice(cpuAt).split('\n').slice(1, 4000)) {
      const plain = line.replaceAll(String.fromCharCode(27), '').replace(/\[[0-9;]*m/g, ''); // no terminal colours
      const mm = /^\s+(\w+) \((.*)\)\s*$/.exec(plain.replace(/^.*?\] /, ' '));
      if (!mm) {
        if (/placed on \[/.test(line) || /=== placement logged ===/.test(line)) break;
        continue;
      }
      cpuOps[mm[1]] = (cpuOps[mm[1]] ?? 0) + 1;
      if (cpuNodes.length < 120) cpuNodes.push(`${mm[1]} ${mm[2]}`);
    }
  return { placed, cpuOps, cpuNodes };
}
