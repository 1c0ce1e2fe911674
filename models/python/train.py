"""Train a Statewise model on the package corpus, on one GPU, within a wall-clock budget.

    python3 train.py --arch hawk --corpus ../../.corpus --tokenizer ../hawk/tokenizer.json \
        --out /tmp/run --budget-s 480

Stateful ("streaming") training: the batch holds B long token streams; each step trains on the next
T tokens of every stream starting from the state the previous step ended in (detached), with random
state resets so zero-state starts stay in distribution. This teaches the model to use a state
carried across tens of thousands of tokens, as the product's workspace state is.
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

from statewise_models import tokenizer as toklib
from statewise_models.data import build_streams
from statewise_models.head import chunked_loss
from statewise_models.data import FIM_LAYOUTS
from statewise_models.registry import load_checkpoint, make_model
from shared_gpu import Lockstep, plan_shared_steps, sync_ready, sync_steps


def log(msg: str):
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


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


def compile_parts(model):
    """Fuse the elementwise-heavy pieces; the Triton scan stays outside the compiled regions."""
    for block in model.layers:
        for mod in (block.norm1, block.norm2, block.mlp):
            if mod is not None:
                mod.forward = torch.compile(mod.forward)
        if hasattr(block.mixer, "lru"):  # the RG-LRU's gates (hawk, griffin)
            block.mixer.lru.coeffs = torch.compile(block.mixer.lru.coeffs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="hawk")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--budget-s", type=float, default=480)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seq", type=int, default=2048)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--reset-p", type=float, default=0.1)
    ap.add_argument("--limit-bytes", type=int, default=0, help="read at most this much train text (smoke runs)")
    ap.add_argument("--eval-bytes", type=int, default=3_000_000)
    ap.add_argument("--config", default="{}", help="JSON overrides of the model config")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--compile", type=int, default=1, help="torch.compile the MLPs and gate maths")
    ap.add_argument("--qa-rate", type=float, default=0.4, help="share of non-FIM files followed by Ask turns")
    ap.add_argument("--recall-rate", type=float, default=0.35, help="share of files that define synthetic recall keys")
    ap.add_argument("--fim-layout", default="suffix-first", choices=FIM_LAYOUTS, help="how FIM examples are laid out (statewise_models/data.py); export with the same --completion-layout")
    ap.add_argument("--init", default="", help="warm start: a checkpoint of the same architecture (train.py's model.pt or model-q8.pt, or import_onnx.py's output from a shipped model folder); the optimiser starts fresh")
    ap.add_argument("--stream-npz", default="", help="token streams built once by prep_stream.py (several runs share them)")
    ap.add_argument("--sync-dir", default="", help="runs that share this folder (and one GPU) wait for each other to be warm, measure their speeds together and train the same number of steps (plan_shared_steps)")
    ap.add_argument("--sync-n", type=int, default=1, help="how many runs share --sync-dir")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--max-steps", type=int, default=0, help="train exactly this many steps (the same token budget for every architecture); the LR schedule assumes it")
    ap.add_argument("--fast", type=int, default=1, help="train through the models' training-only fast paths (fast_train: the same function, tests/test_fast_train.py)")
    ap.add_argument("--budget-safety", type=float, default=1.0, help="plan this share of the steps the measured speed allows (the rest is margin for noise and the end of training)")
    ap.add_argument("--q8-block", type=int, default=32, help="block length of model-q8.pt's int8 blocks (64 halves the scales' bytes)")
    ap.add_argument("--stop-at", type=float, default=0, help="unix time: stop training by then whatever the step count (a hard deadline; the report says how many steps ran)")
    ap.add_argument("--pause-at", type=float, default=0, help="unix time: by then save everything --resume needs to OUT/resume.pt and exit without finishing (one training over several device calls; --budget-s is the whole training's)")
    ap.add_argument("--stop-step", type=int, default=0, help="stop after this many steps, the LR schedule still that of --max-steps: repeats, in another device call, a run a deadline stopped early (the same tokens and schedule)")
    ap.add_argument("--pause-step", type=int, default=0, help="pause (as --pause-at) after this many steps (tests)")
    ap.add_argument("--resume", default="", help="a paused run's resume.pt: continue it with the same planned steps, LR schedule, data order, carried state and RNG")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = True

    t0 = time.time()
    if args.stream_npz:
        z = np.load(args.stream_npz)
        stream, ev_toks, ev_mask, ev_bytes = z["train"], z["eval"], z["eval_mask"], int(z["eval_bytes"])
        train_info = json.loads(str(z["info"]))
        train_pk_n, train_bytes = train_info["packages"], train_info["bytes"]
    else:
        tok = toklib.load(args.tokenizer)
        tok.encode_special_tokens = True
        z = build_streams(tok, args.corpus, limit_bytes=args.limit_bytes, eval_bytes=args.eval_bytes, seed=args.seed, qa_rate=args.qa_rate, recall_rate=args.recall_rate, fim_layout=args.fim_layout)
        stream, ev_toks, ev_mask, ev_bytes = z["train"], z["eval"], z["eval_mask"], z["eval_bytes"]
        train_pk_n, train_bytes = z["info"]["packages"], z["info"]["bytes"]
    log(f"data: {train_pk_n} packages, {train_bytes/1e6:.1f} MB, {len(stream)/1e6:.1f}M tokens "
        f"({train_bytes/len(stream):.2f} bytes/token); eval {len(ev_toks)/1e6:.2f}M tokens {ev_bytes/1e6:.1f} MB; {time.time()-t0:.0f}s")

    init = None
    if args.init:  # the checkpoint's own config (its weights' shapes), --config overriding fields without weights
        init = torch.load(args.init, map_location="cpu", weights_only=False)
        assert init["arch"] == args.arch, f"--init is a {init['arch']} checkpoint, not {args.arch}"
        model = load_checkpoint(init, json.loads(args.config))
        before = init.get("training", {})
        log(f"warm start from {args.init} ({before.get('tokens_total', before.get('tokens_seen', 0)) / 1e6:.1f}M tokens before)")
    else:
        model = make_model(args.arch, json.loads(args.config))
    model = model.to(device)
    model.fast_train = bool(args.fast)
    pc = model.param_count()
    if args.compile:
        import torch._dynamo as dynamo

        dynamo.config.suppress_errors = True  # a part that fails to compile runs eagerly
        compile_parts(model)
    log(f"model {args.arch}: {pc}")

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "embed" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95), eps=1e-8, **({"fused": True} if device.type == "cuda" else {}),
    )

    B, T = args.batch, args.seq
    per_stream = len(stream) // B
    streams = torch.from_numpy(stream[: per_stream * B].astype(np.int64)).view(B, per_stream).to(device)
    steps_per_epoch = (per_stream - 1) // T
    log(f"{B} streams x {per_stream} tokens: {steps_per_epoch} steps per epoch")

    state = model.init_state(B, device)
    total_steps = args.max_steps or None
    warmup = min(100, args.max_steps // 10) if args.max_steps else 100
    step = 0
    tokens_seen = 0
    rolled = 0  # how far the streams have been rolled at epoch starts (resume re-applies it)
    phases = []  # [steps, seconds] of each call a paused training ran in
    losses = []
    history = []
    if args.resume:
        ck = torch.load(args.resume, map_location=device, weights_only=False)
        assert ck["arch"] == args.arch and ck["batch"] == B and ck["seq"] == T, "resume.pt is from another run"
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        step, total_steps, warmup, tokens_seen, rolled = ck["step"], ck["total_steps"], ck["warmup"], ck["tokens_seen"], ck["rolled"]
        phases, history = ck["phases"], ck["history"]
        streams = torch.roll(streams, shifts=-rolled, dims=1)
        state = [s.to(device) for s in ck["state"]]
        random.setstate(ck["py_rng"])
        torch.set_rng_state(ck["torch_rng"])
        if device.type == "cuda" and ck.get("cuda_rng") is not None:
            torch.cuda.set_rng_state(ck["cuda_rng"])
        if total_steps is None:
            raise SystemExit("resume.pt was saved before the step count was planned (step 20): start the run again")
        log(f"resumed at step {step} of {total_steps} ({tokens_seen/1e6:.1f}M tokens, {len(phases)} earlier call(s))")
    step0 = step
    WARM, MEASURE = 10, 30  # compiled and warm by WARM; the speed is measured over WARM..MEASURE
    # runs sharing a GPU meet every 25 steps and stop or pause at the same step (the same token budget);
    # the per-step limits below stay as a last resort (a pause then waits 12 s more for the barrier)
    lock = Lockstep(args.sync_dir, args.sync_n, args.arch, call=len(phases)) if args.sync_dir else None
    pause_hard = args.pause_at + (12 if lock and args.pause_at else 0)
    t_train = time.time()
    while True:
        if total_steps is not None and step >= total_steps:
            break
        if args.stop_step and step >= args.stop_step:
            log(f"stop step: stopping after {step} of {total_steps} steps")
            break
        decision = "go"
        if lock and total_steps is not None and lock.due(step):
            decision = lock.decide(step, args.stop_at, args.pause_at)
        if decision == "stop":
            log(f"deadline (lockstep): stopping after {step} of {total_steps} steps")
            break
        if args.stop_at and time.time() > args.stop_at:
            log(f"deadline: stopping after {step} of {total_steps} steps")
            break
        if decision == "pause" or (args.pause_at and time.time() > pause_hard) or (args.pause_step and step >= args.pause_step):
            phases.append([step - step0, time.time() - t_train])
            torch.save({
                "arch": args.arch, "batch": B, "seq": T, "model": model.state_dict(), "opt": opt.state_dict(),
                "step": step, "total_steps": total_steps, "warmup": warmup, "tokens_seen": tokens_seen, "rolled": rolled,
                "phases": phases, "history": history, "state": [s.detach().cpu() for s in state],
                "py_rng": random.getstate(), "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state() if device.type == "cuda" else None,
            }, os.path.join(args.out, "resume.pt.tmp"))
            os.replace(os.path.join(args.out, "resume.pt.tmp"), os.path.join(args.out, "resume.pt"))
            log(f"paused after {step} of {total_steps} steps ({tokens_seen/1e6:.1f}M tokens): {os.path.join(args.out, 'resume.pt')}")
            return
        elapsed = time.time() - t_train
        if step == WARM and total_steps is None:
            if args.sync_dir:
                sync_ready(args.sync_dir, args.sync_n, args.arch)
            t_warm = time.time()
        if step == MEASURE and total_steps is None:
            per_step = (time.time() - t_warm) / (MEASURE - WARM)
            left = args.budget_s - (time.time() - t_train)  # compile and warm-up time count against the budget
            if args.sync_dir:
                total_steps = sync_steps(args.sync_dir, args.sync_n, args.arch, per_step, left, args.budget_safety, step)
            else:
                total_steps = step + plan_shared_steps([per_step], left, args.budget_safety)
            total_steps = max(total_steps, 2 * MEASURE)
            warmup = min(warmup, total_steps // 10)
            log(f"{per_step*1000:.0f} ms/step, {B*T/per_step/1e6:.2f}M tok/s -> {total_steps} steps")
        if total_steps is None:
            lr = args.lr * min(1.0, (step + 1) / warmup)
        elif step < warmup:
            lr = args.lr * (step + 1) / warmup
        else:
            prog = (step - warmup) / max(1, total_steps - warmup)
            lr = args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * prog)))
        for g in opt.param_groups:
            g["lr"] = lr
        pos = (step % steps_per_epoch) * T
        if pos == 0 and step > 0:  # new epoch: roll the streams so chunk boundaries move
            shift = random.randrange(T)
            streams = torch.roll(streams, shifts=-shift, dims=1)
            rolled = (rolled + shift) % streams.shape[1]
            state = model.init_state(B, device)
        x = streams[:, pos : pos + T]
        y = streams[:, pos + 1 : pos + T + 1]
        def forward_backward():
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
                h, new_state = model(x, state, hidden=True)
                loss = chunked_loss(h, model.embed.weight, y)  # never the whole [B, T, V] logits
            loss.backward()
            return loss, new_state

        if step == step0 and model.fast_train:
            try:  # the fast paths are tested on the CPU; a failure under this GPU's torch falls back to the reference forward
                loss, new_state = forward_backward()
            except Exception as e:  # noqa: BLE001
                log(f"fast path failed ({type(e).__name__}: {str(e)[:300]}): training through the reference forward")
                model.fast_train = False
                opt.zero_grad(set_to_none=True)
                loss, new_state = forward_backward()
        else:
            loss, new_state = forward_backward()
        gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        keep = (torch.rand(B, device=device) >= args.reset_p).float()
        state = [s.detach() * keep.view(B, *([1] * (s.dim() - 1))) for s in new_state]
        tokens_seen += B * T
        step += 1
        losses.append(loss.item() if step % 10 == 0 else None)
        if step % 50 == 0:
            lv = loss.item()
            history.append({"step": step, "loss": lv, "lr": lr, "grad_norm": float(gn), "tokens": tokens_seen, "s": time.time() - t_train})
            log(f"step {step}/{total_steps} loss {lv:.4f} gn {float(gn):.2f} lr {lr:.2e} tokens {tokens_seen/1e6:.1f}M")
    phases.append([step - step0, time.time() - t_train])
    train_s = sum(p[1] for p in phases)
    log(f"trained {step} steps, {tokens_seen/1e6:.1f}M tokens in {train_s:.0f}s ({len(phases)} call(s))")

    # What ships: weights rounded to fp16.
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    # Running totals over warm starts: this run's tokens and GPU time on top of the checkpoint's.
    before = (init or {}).get("training", {})
    totals = {
        "tokens_total": before.get("tokens_total", before.get("tokens_seen", 0)) + tokens_seen,
        "gpu_seconds_total": before.get("gpu_seconds_total", before.get("gpu_seconds", 0)) + train_s,
        "runs_total": before.get("runs_total", 1 if before else 0) + 1,
    }
    train = {
        "steps": step, "planned_steps": total_steps, "batch": B, "seq": T, "tokens_seen": tokens_seen, "gpu_seconds": train_s,
        **totals, "init": {"from": os.path.basename(args.init), **before} if args.init else None,
        "lr": args.lr, "reset_p": args.reset_p, "fim_layout": args.fim_layout, "corpus_packages": train_pk_n, "corpus_bytes": train_bytes,
        "corpus_tokens": int(len(stream)), "stream_sha1": hashlib.sha1(np.ascontiguousarray(stream).tobytes()).hexdigest()[:16], "bytes_per_token": train_bytes / len(stream),
        "device": torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu", "torch": str(torch.__version__),
        "fast_paths": bool(model.fast_train), "compiled": bool(args.compile),
        "calls": [{"steps": n, "seconds": round(sec, 1)} for n, sec in phases],
    }
    # checkpoints and the report first: a deadline kill during the evaluation loses nothing else
    meta = {"arch": args.arch, "config": model.cfg.to_dict(), "training": {k: v for k, v in train.items() if k != "init"}}
    torch.save({**meta, "state_dict": model.state_dict()}, os.path.join(args.out, "model.pt"))
    torch.save({**meta, "q8": quantize_state_dict(model.state_dict(), args.q8_block)}, os.path.join(args.out, "model-q8.pt"))
    report = {
        "arch": args.arch,
        "config": model.cfg.to_dict(),
        "params": pc,
        "train": train,
        "heldout": None,
        "history": history,
    }

    def write_report():
        with open(os.path.join(args.out, "train_report.json"), "w") as f:
            json.dump(report, f, indent=1)

    write_report()
    byte_len = np.array(toklib.token_byte_lengths_json(args.tokenizer))
    report["heldout"] = evaluate_bpb(model, ev_toks, ev_mask, byte_len, T, device)
    log(f"held-out: {report['heldout']}")
    write_report()


if __name__ == "__main__":
    main()
