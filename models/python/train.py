"""Train a Statewise model on the package corpus, on one GPU, for a number of steps or a time budget.

    python3 train.py --arch hawk --corpus ../../.corpus --tokenizer ../hawk/tokenizer.json \
        --out /tmp/run --budget-s 3600

Stateful ("streaming") training: the batch holds B long token streams; each step trains on the next
T tokens of every stream starting from the state the previous step ended in (detached), with random
state resets so zero-state starts stay in distribution. This teaches the model to use a state
carried across tens of thousands of tokens, as the product's workspace state is.

OUT gets model.pt (float weights), model-q8.pt (int8 blocks, what export_onnx.py reads) and
train_report.json (training record and held-out bits per byte). Deadlines, pauses across device
calls and runs sharing a GPU are run_control.py's.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import run_control
from statewise_models import tokenizer as toklib
from statewise_models.data import FIM_LAYOUTS, build_streams
from statewise_models.grow import grow_depth
from statewise_models.head import chunked_loss
from statewise_models.registry import ARCHS, load_checkpoint, make_model


def log(msg: str):
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="hawk", choices=list(ARCHS))
    ap.add_argument("--corpus", required=True, help="a folder with train.jsonl and heldout.jsonl (models/corpus)")
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=480, help="training time: the step count is planned from the measured speed (ignored with --max-steps)")
    ap.add_argument("--max-steps", type=int, default=0, help="train exactly this many steps (the same token budget for every architecture); the LR schedule assumes it")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--reset-p", type=float, default=0.1, help="probability that a stream's carried state is reset to zero after a step")
    ap.add_argument("--config", default="{}", help="JSON overrides of the model config")
    ap.add_argument("--init", default="", help="warm start: a checkpoint of the same architecture (train.py's model.pt or model-q8.pt, or import_onnx.py's output from a shipped model folder); the optimiser starts fresh")
    ap.add_argument("--grow-layers", type=int, default=0, help="with --init: first grow the model to this many layers (statewise_models/grow.py: the same function, new blocks' outputs zero)")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--compile", type=int, default=1, help="torch.compile the MLPs, norms and gate maths")
    ap.add_argument("--fast", type=int, default=1, help="train through the models' training-only fast paths (fast_train: the same function, tests/test_fast_train.py)")
    ap.add_argument("--q8-block", type=int, default=32, help="block length of model-q8.pt's int8 blocks (64 halves the scales' bytes)")
    d = ap.add_argument_group("data")
    d.add_argument("--stream-npz", default="", help="token streams built once by prep_stream.py (several runs share them); else built from --corpus")
    d.add_argument("--limit-bytes", type=int, default=0, help="read at most this much train text (smoke runs)")
    d.add_argument("--eval-bytes", type=int, default=3_000_000)
    d.add_argument("--qa-rate", type=float, default=0.4, help="share of non-FIM files followed by Ask turns")
    d.add_argument("--recall-rate", type=float, default=0.35, help="share of files that define synthetic recall keys")
    d.add_argument("--fim-layout", default="suffix-first", choices=FIM_LAYOUTS, help="how FIM examples are laid out (statewise_models/data.py); export with the same --completion-layout")
    run_control.add_args(ap)
    return ap.parse_args(argv)


# --- data, model, optimiser -----------------------------------------------------------------------
def load_data(args) -> dict:
    """The train stream, the held-out tokens (mask, bytes) and what the corpus was."""
    t0 = time.time()
    if args.stream_npz:
        z = np.load(args.stream_npz)
        info = json.loads(str(z["info"]))
        data = {"train": z["train"], "eval": z["eval"], "eval_mask": z["eval_mask"], "eval_bytes": int(z["eval_bytes"]), "info": info}
    else:
        tok = toklib.load(args.tokenizer)
        tok.encode_special_tokens = True
        data = build_streams(tok, args.corpus, limit_bytes=args.limit_bytes, eval_bytes=args.eval_bytes, seed=args.seed,
                             qa_rate=args.qa_rate, recall_rate=args.recall_rate, fim_layout=args.fim_layout)
    n, nb, ev = len(data["train"]), data["info"]["bytes"], data["eval"]
    log(f"data: {data['info']['packages']} packages, {nb/1e6:.1f} MB, {n/1e6:.1f}M tokens ({nb/n:.2f} bytes/token); "
        f"eval {len(ev)/1e6:.2f}M tokens {data['eval_bytes']/1e6:.1f} MB; {time.time()-t0:.0f}s")
    return data


def build_model(args, device):
    """A fresh model, or the --init checkpoint's (its own config: its weights' shapes; --config
    overrides fields without weights). Returns (model, the checkpoint's training record)."""
    before = {}
    if args.init:
        init = torch.load(args.init, map_location="cpu", weights_only=False)
        assert init["arch"] == args.arch, f"--init is a {init['arch']} checkpoint, not {args.arch}"
        model = load_checkpoint(init, json.loads(args.config))
        before = init.get("training", {})
        log(f"warm start from {args.init} ({before.get('tokens_total', before.get('tokens_seen', 0)) / 1e6:.1f}M tokens before)")
        if args.grow_layers and args.grow_layers != len(model.layers):
            n = len(model.layers)
            model = grow_depth(model, args.grow_layers)
            before = {**before, "grown_from_layers": n}
            log(f"grown from {n} to {len(model.layers)} layers: {model.param_count()}")
    elif args.grow_layers:
        raise SystemExit("--grow-layers needs --init")
    else:
        model = make_model(args.arch, json.loads(args.config))
    model = model.to(device)
    model.fast_train = bool(args.fast)
    return model, before


def compile_parts(model):
    """Fuse the elementwise-heavy pieces; the Triton scan stays outside the compiled regions."""
    import torch._dynamo as dynamo

    dynamo.config.suppress_errors = True  # a part that fails to compile runs eagerly
    for block in model.layers:
        for mod in (block.norm1, block.norm2, block.mlp):
            if mod is not None:
                mod.forward = torch.compile(mod.forward)
        if hasattr(block.mixer, "lru"):  # the RG-LRU's gates (hawk, griffin)
            block.mixer.lru.coeffs = torch.compile(block.mixer.lru.coeffs)


def make_optimizer(model, lr: float, device):
    """AdamW; weight decay 0.1 on matrices except the (tied) embedding."""
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=lr, betas=(0.9, 0.95), eps=1e-8, **({"fused": True} if device.type == "cuda" else {}),
    )


# --- schedule -------------------------------------------------------------------------------------
def warmup_steps(total_steps: int | None) -> int:
    return min(100, total_steps // 10) if total_steps else 100


def lr_at(step: int, base: float, warmup: int, total_steps: int | None) -> float:
    """Linear warm-up, then cosine decay to 10 % of `base` at total_steps (warm-up only while the
    step count is still being measured)."""
    if total_steps is None:
        return base * min(1.0, (step + 1) / warmup)
    if step < warmup:
        return base * (step + 1) / warmup
    prog = (step - warmup) / max(1, total_steps - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))


# --- one step -------------------------------------------------------------------------------------
def forward_backward(model, x, y, state, device):
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
        h, new_state = model(x, state, hidden=True)
        loss = chunked_loss(h, model.embed.weight, y)  # never the whole [B, T, V] logits
    loss.backward()
    return loss, new_state


def first_forward_backward(model, opt, x, y, state, device):
    """The first step of a call: the fast paths are tested on the CPU; a failure under this GPU's
    torch falls back to the reference forward for the rest of the run."""
    if not model.fast_train:
        return forward_backward(model, x, y, state, device)
    try:
        return forward_backward(model, x, y, state, device)
    except Exception as e:  # noqa: BLE001
        log(f"fast path failed ({type(e).__name__}: {str(e)[:300]}): training through the reference forward")
        model.fast_train = False
        opt.zero_grad(set_to_none=True)
        return forward_backward(model, x, y, state, device)


# --- evaluation and checkpoints -------------------------------------------------------------------
@torch.no_grad()
def evaluate_bpb(model, toks: np.ndarray, mask: np.ndarray, byte_len: np.ndarray, seq: int, device, batch: int = 16) -> dict:
    """Bits per byte of the content tokens (UTF-8 bytes of the scored tokens); each chunk of `seq`
    tokens starts from the zero state."""
    model.eval()
    n = (len(toks) - 1) // seq
    x_all = torch.from_numpy(toks[: n * seq + 1].astype(np.int64))
    m_all = torch.from_numpy(mask[: n * seq + 1])
    nll, count, covered = 0.0, 0, 0
    blen = torch.from_numpy(byte_len.astype(np.int64)).to(device)
    for i in range(0, n, batch):
        idx = range(i, min(n, i + batch))
        x = torch.stack([x_all[j * seq : j * seq + seq] for j in idx]).to(device)
        y = torch.stack([x_all[j * seq + 1 : j * seq + seq + 1] for j in idx]).to(device)
        m = torch.stack([m_all[j * seq + 1 : j * seq + seq + 1] for j in idx]).to(device)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            logits, _ = model(x, model.init_state(x.shape[0], device))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none")
        nll += float((loss * m.reshape(-1)).sum())
        count += int(m.sum())
        covered += int((blen[y] * m).sum())
    model.train()
    return {"bits_per_byte": nll / math.log(2) / covered, "tokens": count, "bytes": covered, "nats_per_token": nll / count}


def quantize_state_dict(sd: dict, block: int = 32) -> dict:
    """int8 block-symmetric copy of the weights (blocks of `block` along the last dim, fp16 scales);
    small and 1-D tensors stay fp16. About 1.06 bytes per parameter: what travels back from the GPU."""
    out = {}
    for k, v in sd.items():
        v = v.detach().float().cpu()
        if v.dim() >= 2 and v.numel() >= 4096:
            last = v.shape[-1]
            pad = (-last) % block
            w = torch.nn.functional.pad(v, (0, pad)).reshape(-1, block)
            scale = (w.abs().amax(dim=1, keepdim=True) / 127.0).clamp_min(1e-12)
            q = torch.round(w / scale).clamp(-127, 127).to(torch.int8)
            out[k] = {"q": q, "scale": scale.half(), "shape": list(v.shape), "pad": pad}
        else:
            out[k] = v.half()
    return out


def training_record(args, p: dict, data: dict, before: dict, model, device) -> dict:
    """train_report.json's "train": this run, plus running totals over warm starts (this run's
    tokens and GPU time on top of the checkpoint's)."""
    train_s = sum(c[1] for c in p["phases"])
    stream, nb = data["train"], data["info"]["bytes"]
    return {
        "steps": p["step"], "planned_steps": p["total_steps"], "batch": args.batch, "seq": args.seq, "tokens_seen": p["tokens_seen"], "gpu_seconds": train_s,
        "tokens_total": before.get("tokens_total", before.get("tokens_seen", 0)) + p["tokens_seen"],
        "gpu_seconds_total": before.get("gpu_seconds_total", before.get("gpu_seconds", 0)) + train_s,
        "runs_total": before.get("runs_total", 1 if before else 0) + 1,
        "init": {"from": os.path.basename(args.init), **before} if args.init else None,
        "lr": args.lr, "reset_p": args.reset_p, "fim_layout": args.fim_layout, "corpus_packages": data["info"]["packages"], "corpus_bytes": nb,
        "corpus_tokens": int(len(stream)), "stream_sha1": hashlib.sha1(np.ascontiguousarray(stream).tobytes()).hexdigest()[:16], "bytes_per_token": nb / len(stream),
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": str(torch.__version__),
        "fast_paths": bool(model.fast_train), "compiled": bool(args.compile),
        "calls": [{"steps": n, "seconds": round(sec, 1)} for n, sec in p["phases"]],
    }


def write_json(path: str, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = True

    data = load_data(args)
    model, before = build_model(args, device)
    params = model.param_count()
    if args.compile:
        compile_parts(model)
    log(f"model {args.arch}: {params}")
    opt = make_optimizer(model, args.lr, device)

    B, T = args.batch, args.seq
    per_stream = len(data["train"]) // B
    streams = torch.from_numpy(data["train"][: per_stream * B].astype(np.int64)).view(B, per_stream).to(device)
    steps_per_epoch = (per_stream - 1) // T
    log(f"{B} streams x {per_stream} tokens: {steps_per_epoch} steps per epoch")

    state = model.init_state(B, device)
    # rolled: how far the streams have been rolled at epoch starts; phases: [steps, seconds] per call
    p = {"step": 0, "total_steps": args.max_steps or None, "warmup": warmup_steps(args.max_steps), "tokens_seen": 0,
         "rolled": 0, "phases": [], "history": []}
    if args.resume:
        p, state = run_control.load_resume(args.resume, args.arch, B, T, model, opt, device)
        streams = torch.roll(streams, shifts=-p["rolled"], dims=1)
        log(f"resumed at step {p['step']} of {p['total_steps']} ({p['tokens_seen']/1e6:.1f}M tokens, {len(p['phases'])} earlier call(s))")
    control = run_control.RunControl(args, call=len(p["phases"]))
    step0 = p["step"]
    t_train = time.time()
    while p["total_steps"] is None or p["step"] < p["total_steps"]:
        step = p["step"]
        action = control.action(step, p["total_steps"])
        if action == "stop":
            break
        if action == "pause":
            p["phases"].append([step - step0, time.time() - t_train])
            path = run_control.save_resume(args.out, args.arch, B, T, model, opt, p, state)
            log(f"paused after {step} of {p['total_steps']} steps ({p['tokens_seen']/1e6:.1f}M tokens): {path}")
            return
        if p["total_steps"] is None and (planned := control.plan(step, t_train, B * T)) is not None:
            p["total_steps"] = planned
            p["warmup"] = min(p["warmup"], planned // 10)
        lr = lr_at(step, args.lr, p["warmup"], p["total_steps"])
        for g in opt.param_groups:
            g["lr"] = lr

        pos = (step % steps_per_epoch) * T
        if pos == 0 and step > 0:  # new epoch: roll the streams so chunk boundaries move
            shift = random.randrange(T)
            streams = torch.roll(streams, shifts=-shift, dims=1)
            p["rolled"] = (p["rolled"] + shift) % streams.shape[1]
            state = model.init_state(B, device)
        x, y = streams[:, pos : pos + T], streams[:, pos + 1 : pos + T + 1]
        if step == step0:
            loss, new_state = first_forward_backward(model, opt, x, y, state, device)
        else:
            loss, new_state = forward_backward(model, x, y, state, device)
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        keep = (torch.rand(B, device=device) >= args.reset_p).float()  # random state resets
        state = [s.detach() * keep.view(B, *([1] * (s.dim() - 1))) for s in new_state]

        p["tokens_seen"] += B * T
        p["step"] = step = step + 1
        if step % 50 == 0:
            lv = loss.item()
            p["history"].append({"step": step, "loss": lv, "lr": lr, "grad_norm": float(gn), "tokens": p["tokens_seen"], "s": time.time() - t_train})
            log(f"step {step}/{p['total_steps']} loss {lv:.4f} gn {float(gn):.2f} lr {lr:.2e} tokens {p['tokens_seen']/1e6:.1f}M")
    p["phases"].append([p["step"] - step0, time.time() - t_train])
    train = training_record(args, p, data, before, model, device)
    log(f"trained {p['step']} steps, {p['tokens_seen']/1e6:.1f}M tokens in {train['gpu_seconds']:.0f}s ({len(p['phases'])} call(s))")

    # What ships: weights rounded to fp16. Checkpoints and the report first: a deadline kill during
    # the evaluation loses nothing else.
    with torch.no_grad():
        for w in model.parameters():
            w.copy_(w.half().float())
    meta = {"arch": args.arch, "config": model.cfg.to_dict(), "training": {k: v for k, v in train.items() if k != "init"}}
    torch.save({**meta, "state_dict": model.state_dict()}, os.path.join(args.out, "model.pt"))
    torch.save({**meta, "q8": quantize_state_dict(model.state_dict(), args.q8_block)}, os.path.join(args.out, "model-q8.pt"))
    report = {"arch": args.arch, "config": model.cfg.to_dict(), "params": params, "train": train, "heldout": None, "history": p["history"]}
    write_json(os.path.join(args.out, "train_report.json"), report)
    byte_len = np.array(toklib.token_byte_lengths_json(args.tokenizer))
    report["heldout"] = evaluate_bpb(model, data["eval"], data["eval_mask"], byte_len, T, device)
    log(f"held-out: {report['heldout']}")
    write_json(os.path.join(args.out, "train_report.json"), report)


if __name__ == "__main__":
    main()
