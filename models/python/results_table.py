"""The model table of models/README.md, from the shipped manifests and models/results/*.json
(standard library only).

    python3 models/python/results_table.py [ARCH,ARCH,...]

Rows come from: models/ARCH/manifest.json (parameters, state, training), models/results/ARCH.json
(the zoo run: PyTorch held-out bits per byte and extrapolation, GPU), models/results/eval-ARCH.json
(scripts/eval-zoo.sh: the `statewise eval` commands through the shipped int8 graphs, CPU),
models/results/bench-ARCH.json (`statewise bench --quick --keystrokes 5 --arch ARCH --ep cpu`),
models/results/lines-ARCH.json (`statewise eval lines --samples 210 --layout product,plain,fim,suffix-first`).

    python3 models/python/results_table.py --lines [ARCH,...]   # the completion table of docs/completion.md
    python3 models/python/results_table.py --zoo [ARCH,...]     # the same-budget table, models/results/zoo/
"""
from __future__ import annotations

import json
import os
import sys

from statewise_models.registry import NAMES

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def load(path: str) -> dict | None:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def mib(n: float) -> str:
    return f"{n / 1024:.0f} KiB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MiB"


def kv_per_token(m: dict) -> int | None:
    """Bytes one token adds to a growing KV cache (softmax baseline), None for fixed-size states."""
    if m["architecture"] != "alibi":
        return None
    c = m["config"]
    return c["n_layers"] * 2 * c["d_model"] * 4


def pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f} %"


def row(arch: str) -> dict[str, str]:
    m = load(os.path.join(ROOT, arch, "manifest.json"))
    if m is None:
        return {}
    zoo = load(os.path.join(ROOT, "results", f"{arch}.json")) or {}
    ev = load(os.path.join(ROOT, "results", f"eval-{arch}.json")) or {}
    tr = m.get("training", {})
    r: dict[str, str] = {"parameters": f"{m['params']['total'] / 1e6:.1f}M"}
    kv = kv_per_token(m)
    if kv:
        cap = m["config"]["max_context"]
        r["state at 1k / 32k tokens"] = f"{mib(kv * 1024)} / {mib(kv * 32768)} (shipped cap {cap:,}: {mib(m['stateBytes'])})"
    else:
        r["state at 1k / 32k tokens"] = f"{mib(m['stateBytes'])} (fixed)"
    gpu = tr.get("gpu_seconds_total", tr.get("gpu_seconds"))  # totals over warm starts, where recorded
    r["training tokens / GPU s"] = f"{tr.get('tokens_total', tr.get('tokens_seen', 0)) / 1e6:.1f}M / {gpu:.0f} s" if gpu else "–"
    ho = zoo.get("heldout") or m.get("heldout") or {}
    r["held-out bits/byte, PyTorch"] = f"{ho['bits_per_byte']:.4f} ({ho['bytes'] / 1e6:.1f} MB)" if ho else "–"
    if b := ev.get("bpb"):
        r["bits/byte, shipped int8 (xz -9)"] = f"{b['bitsPerByte']:.4f} ({b['xzBitsPerByte']:.4f})"
    if ln := load(os.path.join(ROOT, "results", f"lines-{arch}.json")):
        o = ln["overall"]
        nd = o.get("no-defs")  # the product's path without the definitions fed from beyond the view
        r["line exact / edit sim.: product (layout) · no definitions fed · plain · trivial baseline"] = (
            f"{pct(o['product']['exactMatch'])} / {o['product']['editSimilarity']:.3f} ({ln['productLayout']}) · "
            + (f"{pct(nd['exactMatch'])} / {nd['editSimilarity']:.3f} · " if nd else "– · ")
            + f"{pct(o['plain']['exactMatch'])} / {o['plain']['editSimilarity']:.3f} · "
            + f"{pct(o['baseline']['exactMatch'])} / {o['baseline']['editSimilarity']:.3f} (n={o['product']['samples']})")
    if rc := ev.get("recall"):
        def recall_cells(results):
            cells = []
            for v in ("same", "cross", "control"):
                res = results.get(v, {})
                cells.append(v + " " + "/".join(pct(res[d]["accuracy"]) for d in sorted(res, key=int)))
            return "; ".join(cells)
        n = next(iter(next(iter(rc["results"].values())).values()))["samples"]
        by = rc.get("byMethod", {})  # eval recall --methods: the product's path and the state alone
        cell = recall_cells(rc["results"])
        if "no-defs" in by and rc["methods"][0] != "no-defs":
            cell = "product " + cell + " · state alone (no-defs) " + recall_cells(by["no-defs"])
        r["recall of a constant, by distance in tokens"] = "at " + "/".join(str(d) for d in rc["distances"]) + ": " + cell + f" (n={n})"
    if qa := ev.get("qa"):
        b = qa["buckets"]
        cell = "/".join(pct(b[k]["containsMatch"]) for k in ("1k", "2k", "4k", "8k", "16k") if k in b) + f" (exact {pct(qa['exactMatch'])}, n={qa['samples']})"
        if lay := qa.get("layouts"):  # measured side by side (eval qa --layout): the product's first
            cell += "; exact " + " · ".join(f"{name} {pct(v['exactMatch'])}" for name, v in lay.items())
        r["Ask contains-match 1k/2k/4k/8k/16k"] = cell
    if bench := load(os.path.join(ROOT, "results", f"bench-{arch}.json")):
        bench = bench.get("engine", bench)  # `statewise bench` writes its parts under their names
        rows = {(r["targetTokens"], r["workspace"]): r for r in bench["rows"]}
        cells = [f"{rows[(t, True)]['engineMs']['p50']:.0f} ms, {rows[(t, True)]['generatedTokensMean']:.1f} tok" for t in (1000, 10000) if (t, True) in rows]
        peak = max(x["rssBytes"] for x in bench["rows"])
        r["keystroke p50 at 1k / 10k-token doc + workspace; peak RSS (CPU)"] = " / ".join(cells) + f"; {mib(peak)} (n={bench['rows'][0]['keystrokes']})"
    if ex := zoo.get("extrapolation"):
        r["bits/byte at 1x/2x/4x/8x train length, PyTorch"] = "/".join(f"{v:.3f}" for v in ex["bitsPerByte"].values())
    if ex := ev.get("extrapolation"):
        r["bits/byte at 1x/2x/4x/8x, int8 ONNX"] = "/".join(f"{w['bitsPerByte']:.3f}" for w in ex["windows"]) + f" ({ex['scoredTokens']} tokens)"
    return r


def budget_line(trains: dict[str, dict]) -> str:
    """Whether the table compares equal training budgets: the same tokens (steps x batch x length) and the
    same token streams (train_report's stream_sha1, where recorded) for every architecture."""
    if not trains:
        return "training budget: no training records"
    tokens = {a: t.get("tokens_total", t.get("tokens_seen")) for a, t in trains.items()}
    shas = {a: t.get("stream_sha1") for a, t in trains.items()}
    parts = [f"{a} {(n or 0) / 1e6:.1f}M" for a, n in tokens.items()]
    same_tokens = len(set(tokens.values())) == 1
    known = {v for v in shas.values() if v}
    same_streams = len(known) == 1 and all(shas.values())
    if same_tokens and same_streams:
        return f"training budget: the same for all ({parts[0].split()[1]} tokens each, streams {known.pop()})"
    why = []
    if not same_tokens:
        why.append("tokens " + ", ".join(parts))
    if not same_streams:
        why.append("streams " + ", ".join(f"{a} {v or 'unrecorded'}" for a, v in shas.items()))
    return "training budget: NOT the same — " + "; ".join(why)


def lines_table(archs: list[str], root: str = ROOT) -> list[str]:
    """Exact match / edit similarity per cursor kind and method, one block of rows per architecture;
    the columns are every method any architecture ran ("–" where one did not run it)."""
    runs = {a: ln for a in archs if (ln := load(os.path.join(root, "results", f"lines-{a}.json")))}
    methods: list[str] = []
    for ln in runs.values():
        methods += [m for m in ln["methods"] if m not in methods]
    if not runs:
        return []
    order = ["product", "no-defs", "plain", "fim", "suffix-first", "baseline"]
    methods.sort(key=lambda m: order.index(m) if m in order else len(order))
    out = ["| model | kind | n | " + " | ".join(methods) + " |", "|---|---|---|" + "---|" * len(methods)]
    for a, ln in runs.items():
        for kind, cell in [*ln["byKind"].items(), ("all", ln["overall"])]:
            label = f"**{a}** ({ln['productLayout']})" if kind == "all" else a
            k = f"**{kind}**" if kind == "all" else kind
            out.append(f"| {label} | {k} | {cell[ln['methods'][0]]['samples']} | " + " | ".join(
                f"{100 * cell[m]['exactMatch']:.1f} % / {cell[m]['editSimilarity']:.3f}" if m in cell else "–" for m in methods) + " |")
    return out


def zoo_table(archs: list[str], root: str = ROOT) -> list[str]:
    """The zoo at one budget (models/results/zoo/ARCH.json: the training reports and PyTorch evals of runs
    on the same token streams for the same steps), each architecture against the ALiBi transformer."""
    res = {a: r for a in archs if (r := load(os.path.join(root, "results", "zoo", f"{a}.json")))}
    if not res:
        return []
    ref = (res.get("alibi") or {}).get("heldout", {}).get("bits_per_byte")
    cols = list(res)
    rows: dict[str, dict[str, str]] = {}
    for a, r in res.items():
        t, ho = r["train"], r.get("heldout") or {}
        rows.setdefault("parameters", {})[a] = f"{r['params']['total'] / 1e6:.1f}M"
        rows.setdefault("steps × batch × length = tokens", {})[a] = f"{t['steps']} × {t['batch']} × {t['seq']} = {t['tokens_seen'] / 1e6:.1f}M"
        rows.setdefault("training time (runs side by side on one GPU)", {})[a] = f"{t['gpu_seconds']:.0f} s, {t['device'].replace('NVIDIA ', '')}"
        if ho:
            rows.setdefault(f"held-out bits/byte, PyTorch ({ho['bytes'] / 1e6:.1f} MB)", {})[a] = f"{ho['bits_per_byte']:.4f}"
            if ref:
                rows.setdefault("vs the ALiBi transformer", {})[a] = f"{100 * (ho['bits_per_byte'] / ref - 1):+.1f} %"
        if ex := r.get("extrapolation"):
            rows.setdefault("bits/byte at 1x/2x/4x/8x train length, PyTorch", {})[a] = "/".join(f"{v:.3f}" for v in ex["bitsPerByte"].values())
    out = ["| | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
    out += [f"| {k} | " + " | ".join(v.get(a, "–") for a in cols) + " |" for k, v in rows.items()]
    return out + ["", budget_line({a: r["train"] for a, r in res.items()})]


def main():
    args = sys.argv[1:]
    if args and args[0] == "--zoo":
        print("\n".join(zoo_table((args[1].split(",") if len(args) > 1 else list(NAMES)))))
        return
    if args and args[0] == "--lines":
        print("\n".join(lines_table((args[1].split(",") if len(args) > 1 else NAMES))))
        return
    archs = args[0].split(",") if args else list(NAMES)
    rows = {a: row(a) for a in archs}
    keys: list[str] = []
    for r in rows.values():
        keys += [k for k in r if k not in keys]
    print("| | " + " | ".join(archs) + " |")
    print("|---|" + "---|" * len(archs))
    for k in keys:
        print(f"| {k} | " + " | ".join(rows[a].get(k, "–") for a in archs) + " |")
    trains = {}
    for a in archs:
        zoo = load(os.path.join(ROOT, "results", f"{a}.json")) or {}
        m = load(os.path.join(ROOT, a, "manifest.json")) or {}
        trains[a] = {**m.get("training", {}), **zoo.get("train", {})}
    print()
    print(budget_line(trains))


if __name__ == "__main__":
    main()
