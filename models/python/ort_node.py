"""An InferenceSession look-alike over onnxruntime-node (ort_run.mjs), for export and parity checks
on the CPU machine, where Python onnxruntime is not installable. Only what export_onnx.py uses:
run(None, feeds) and get_outputs(). Tensors travel as raw files in a scratch folder, not inside the
JSON line: an uncapped ALiBi state (768 MiB at 32k tokens) is larger than a string node can hold."""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
_proc: subprocess.Popen | None = None


def _server() -> subprocess.Popen:
    global _proc
    if _proc is None or _proc.poll() is not None:
        _proc = subprocess.Popen(["node", os.path.join(_HERE, "ort_run.mjs")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    return _proc


@dataclass
class _Out:
    name: str


class NodeSession:
    def __init__(self, path: str, threads: int = 2):
        self.path, self.threads = os.path.abspath(path), threads
        self._names: list[str] | None = None

    def run(self, output_names, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        with tempfile.TemporaryDirectory(prefix="ort-node-") as d:
            req = {"model": self.path, "threads": self.threads, "dir": d, "feeds": {}}
            for i, (k, v) in enumerate(feeds.items()):
                t = "int64" if v.dtype == np.int64 else "float32"
                f = os.path.join(d, f"in{i}.bin")
                np.ascontiguousarray(v, dtype=np.int64 if t == "int64" else np.float32).tofile(f)
                req["feeds"][k] = {"dims": list(v.shape), "type": t, "file": f}
            p = _server()
            p.stdin.write(json.dumps(req) + "\n")
            p.stdin.flush()
            rep = json.loads(p.stdout.readline())
            if "error" in rep:
                raise RuntimeError(rep["error"])
            self._names = rep["outputNames"]
            names = output_names or self._names
            outs = rep["outputs"]
            return [np.fromfile(outs[n]["file"], dtype=np.float32).reshape(outs[n]["dims"]) for n in names]

    def get_outputs(self) -> list[_Out]:
        assert self._names is not None, "run() first"
        return [_Out(n) for n in self._names]
