"""An InferenceSession look-alike over onnxruntime-node (ort_run.mjs), for export and parity checks
on the CPU machine, where Python onnxruntime is not installable. Only what export_onnx.py uses:
run(None, feeds) and get_outputs()."""
from __future__ import annotations

import base64
import json
import os
import subprocess
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
        req = {"model": self.path, "threads": self.threads, "feeds": {}}
        for k, v in feeds.items():
            t = "int64" if v.dtype == np.int64 else "float32"
            a = np.ascontiguousarray(v, dtype=np.int64 if t == "int64" else np.float32)
            req["feeds"][k] = {"dims": list(a.shape), "type": t, "b64": base64.b64encode(a.tobytes()).decode()}
        p = _server()
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        rep = json.loads(p.stdout.readline())
        if "error" in rep:
            raise RuntimeError(rep["error"])
        self._names = rep["outputNames"]
        names = output_names or self._names
        return [np.frombuffer(base64.b64decode(rep["outputs"][n]["b64"]), dtype=np.float32).reshape(rep["outputs"][n]["dims"]) for n in names]

    def get_outputs(self) -> list[_Out]:
        assert self._names is not None, "run() first"
        return [_Out(n) for n in self._names]
