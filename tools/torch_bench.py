"""The PyTorch side of `npm run bench`: trains or generates with tools/microgpt_torch.py on the
checkpoint and token ids that `mg-bench init` wrote, and prints one JSON line, like mg-bench.
Run it with torch's OpenMP BLAS and as many threads as the engine:
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp python3 tools/torch_bench.py train ...
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from microgpt_torch import GPT, Decoder, load_checkpoint  # noqa: E402


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def train(a, model):
    ids = torch.from_numpy(np.fromfile(a.tokens, dtype="<i4").astype(np.int64))
    n_train = len(ids) - max(a.seq + 1, int(len(ids) * 0.1))
    B, T = a.batch, a.seq
    passes = [int(p) for p in a.passes.split(",")] if a.passes else [1]
    opt = torch.optim.AdamW(model.decay_groups(0.1), lr=1e-3, betas=(0.9, 0.99), eps=1e-8)
    g = torch.Generator().manual_seed(1337)

    def step(i):
        starts = torch.randint(0, n_train - T - 1, (B,), generator=g)
        x = torch.stack([ids[s:s + T] for s in starts])
        y = torch.stack([ids[s + 1:s + T + 1] for s in starts])
        logits = model(x, passes=passes[i % len(passes)])
        loss = F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    for i in range(a.warmup):
        step(i)
    t0 = time.perf_counter()
    for i in range(a.steps):
        loss = step(i)
    dt = time.perf_counter() - t0
    return {"mode": "train", "tok_s": a.steps * B * T / dt, "seconds": dt, "loss": loss}


def generate(a, model):
    dec = Decoder(model, a.passes_gen)
    T, sink = model.c["max_seq_len"], 0

    def run():
        dec.reset()
        tok = 3 % model.c["vocab_size"]
        for _ in range(T):
            tok = int(torch.argmax(dec.feed(tok)))
        return tok

    sink += run()
    t0 = time.perf_counter()
    for _ in range(a.reps):
        sink += run()
    dt = time.perf_counter() - t0
    return {"mode": "generate", "passes": a.passes_gen, "tok_s": a.reps * T / dt, "check": sink}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["train", "generate"])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--tokens")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seq", type=int, default=64)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--passes", default="", help="training: the engine's sampled passes per step, to replay")
    p.add_argument("--passes_gen", type=int, default=1)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    config, _chars, params = load_checkpoint(a.checkpoint)
    model = GPT(config, params)
    out = train(a, model) if a.mode == "train" else generate(a, model)
    out.update(threads=torch.get_num_threads(), peak_rss_mib=peak_rss_mib(), torch=torch.__version__)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
