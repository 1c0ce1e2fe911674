"""Do two versions of the model code export the same graphs? Each version exports small models of
every architecture (fixed seed, non-trivial norms and biases, fp16-rounded as export_onnx.py does);
the second loads the first's weights through its own load_state_dict (so old checkpoints' key names
are exercised too); then the graphs are compared: inputs, outputs and their types, node and op
counts, and outputs through onnxruntime(-node) on the same tokens and a non-zero state.

    git archive main models/python | tar -x -C /tmp/old      # the other version (plus models/*.json it reads)
    (cd /tmp/old/models/python && python3 $PWD/export_compat.py export /tmp/cmp/old)
    python3 export_compat.py export /tmp/cmp/new --load /tmp/cmp/old
    python3 export_compat.py compare /tmp/cmp/old /tmp/cmp/new

`export` imports the model code of the current directory, so run it from the tree under test.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys

import numpy as np

SMALL = {
    "hawk": dict(vocab_size=1024, d_model=64, d_rnn=96, n_layers=3, n_gate_blocks=4, max_chunk=64),
    "griffin": dict(vocab_size=1024, d_model=64, d_rnn=64, n_layers=3, n_gate_blocks=4, n_heads=4, head_dim=16, window=8, max_chunk=64),
    "based": dict(vocab_size=1024, d_model=48, layout="CLSC", n_heads=2, feature_dim=4, window=8, max_chunk=64),
    "alibi": dict(vocab_size=1024, d_model=48, n_layers=2, n_heads=6, mlp_mult=4, max_context=16, max_chunk=64),
    "linearized": dict(vocab_size=1024, d_model=48, n_layers=2, qk_dim=16, expansion=2, group=4, conv_k=3, max_chunk=64),
}
GRAPHS = ("step.onnx", "prefill.onnx", "score.onnx")


def export(out: str, load: str):
    sys.path.insert(0, os.getcwd())
    import torch

    import export_onnx as ex
    from statewise_models.registry import make_model

    for arch, cfg in SMALL.items():
        d = os.path.join(out, arch)
        os.makedirs(d, exist_ok=True)
        torch.manual_seed(0)
        m = make_model(arch, cfg).eval()
        g = torch.Generator().manual_seed(5)
        with torch.no_grad():
            for n, p in m.named_parameters():
                if p.dim() == 1 and not n.endswith("a_param"):
                    p.copy_(torch.randn(p.shape, generator=g) * 0.1)
                p.copy_(p.half().float())
        if load:
            m.load_state_dict(torch.load(os.path.join(load, arch, "sd.pt")))
        torch.save(m.state_dict(), os.path.join(d, "sd.pt"))
        m.set_export_chunk(m.cfg.max_chunk)
        names = [n for n, _ in m.state_spec()]
        toks = torch.randint(0, cfg["vocab_size"], (1, 9), generator=torch.Generator().manual_seed(9))
        with torch.no_grad():
            _, state = m(toks, m.init_state(1), mode="train")  # a non-zero state to feed the graphs
        np.savez(os.path.join(d, "state.npz"), **{n: s.numpy() for n, s in zip(names, state)})
        json.dump({"spec": m.state_spec(), "params": m.param_count()}, open(os.path.join(d, "spec.json"), "w"))
        torch.manual_seed(1)
        with torch.no_grad():
            for gname in GRAPHS:
                ex.export_graph(m, gname, os.path.join(d, gname), names)
        print(f"{arch}: exported to {d}", flush=True)


def session(path: str):
    try:
        import onnxruntime as ort

        return ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    except ImportError:
        from ort_node import NodeSession

        return NodeSession(path)


def compare(old: str, new: str) -> bool:
    import onnx

    ok = True
    for arch in SMALL:
        o, n = os.path.join(old, arch), os.path.join(new, arch)
        same_spec = json.load(open(os.path.join(o, "spec.json"))) == json.load(open(os.path.join(n, "spec.json")))
        st = np.load(os.path.join(o, "state.npz"))
        ids = np.random.default_rng(3).integers(0, SMALL[arch]["vocab_size"], (1, 7)).astype(np.int64)
        print(f"{arch}: state spec and parameter counts {'equal' if same_spec else 'DIFFER'}")
        ok &= same_spec
        for g in GRAPHS:
            mo, mn = onnx.load(os.path.join(o, g)), onnx.load(os.path.join(n, g))
            io = lambda m: [(v.name, str(v.type)) for v in [*m.graph.input, *m.graph.output]]  # noqa: E731
            ops = lambda m: collections.Counter(x.op_type for x in m.graph.node)  # noqa: E731
            feeds = {"input_ids": ids[:, :1] if g == "step.onnx" else ids, **{f"state_in.{k}": st[k] for k in st.files}}
            outs_o, outs_n = session(os.path.join(o, g)).run(None, feeds), session(os.path.join(n, g)).run(None, feeds)
            diff = max(float(np.abs(a - b).max()) for a, b in zip(outs_o, outs_n))
            same = io(mo) == io(mn) and ops(mo) == ops(mn) and diff == 0.0
            ok &= same
            print(f"  {g}: inputs/outputs {'equal' if io(mo) == io(mn) else 'DIFFER'}; nodes {len(mo.graph.node)} / {len(mn.graph.node)}, "
                  f"op counts {'equal' if ops(mo) == ops(mn) else 'DIFFER'}; max |output diff| {diff:.3g}")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("out")
    e.add_argument("--load", default="", help="load the weights another export wrote here")
    c = sub.add_parser("compare")
    c.add_argument("old")
    c.add_argument("new")
    a = ap.parse_args()
    if a.cmd == "export":
        export(a.out, a.load)
    else:
        sys.exit(0 if compare(a.old, a.new) else 1)


if __name__ == "__main__":
    main()
