"""sha256 checksums of the files a model folder's manifest.json names (tokenizer, graphs, weights;
not manifest.json itself), as the engine verifies them at every load (server/engine/integrity.ts):

    "checksums": {"sha256": {"tokenizer.json": "<64 hex>", "step.onnx": "...", "weights-0.bin": "..."}}

export_onnx.py writes them; run this to add or refresh them in existing folders:

    python3 manifest_checksums.py ../griffin ../hawk
"""
from __future__ import annotations

import hashlib
import json
import os
import sys


def named_files(manifest: dict) -> list[str]:
    """The files a manifest names, in manifest order, each once."""
    names = [manifest["tokenizer"]]
    names += [g["file"] for g in manifest["graphs"].values()]
    names += list(manifest.get("weights", []))
    return list(dict.fromkeys(names))


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def checksums(folder: str, manifest: dict) -> dict:
    return {"sha256": {name: sha256_file(os.path.join(folder, name)) for name in named_files(manifest)}}


def update_folder(folder: str) -> dict:
    """Rewrites folder/manifest.json with fresh checksums (json.dump indent=1, as the export writes it)."""
    path = os.path.join(folder, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    manifest["checksums"] = checksums(folder, manifest)
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
    return manifest["checksums"]


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for folder in sys.argv[1:]:
        sums = update_folder(folder)
        print(f"{folder}: {len(sums['sha256'])} files")
