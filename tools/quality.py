#!/usr/bin/env python3
"""The measurements behind docs/quality.md, one command per study, each printing its table and
writing it, with the exact commands it ran, to docs/quality/<study>.md.

  python3 tools/quality.py names-split [--steps 2000] [--seeds 1337 1338 1339] [--preset micro]
  python3 tools/quality.py names [--preset 8gb] [--steps 4000] [--seeds ...] [-- more engine flags]
  python3 tools/quality.py shakespeare-plain [--steps 2000] [--seeds 1337 1338 1339] [--lr 1e-3]
  python3 tools/quality.py recursion [--steps 2000] [--seeds 1337 1338 1339] [--lr 3e-3] [--work DIR]
  python3 tools/quality.py plots      (the figures again, from docs/quality/recursion.json)

names-split: makemore's names.txt is sorted (by popularity, then alphabetically), so its last 10%
is the tail of the sort order: holding that out validates each name beside neighbours that share
its prefix. The study trains the same model twice per seed, validating on the tail and on whole
lines chosen with the seed (--split_lines), and evaluates each run's best checkpoint with --eval
over the whole val split of that run: the gap between the two is what the tail split flatters.

shakespeare-plain: nanoGPT's CPU run on Tiny Shakespeare (its README: val 1.88), with a plain GPT of
the 8gb shape (0.85M parameters) and nanoGPT's recipe, the best and the last checkpoint of each
seed evaluated over the whole val split (the text's last 10%, as nanoGPT's prepare.py cuts it).

recursion: issue 12's study on Tiny Shakespeare, every arm with the same data, tokens, optimizer and
schedule (nanoGPT's CPU recipe at the peak lr that won for the plain model), three seeds each:
  A  plain GPT of the 8gb shape (the parameters every other arm is held to, but B)
  R  the engine's recursion (8gb: prelude 1 + shared core 2 x passes + coda 1), evaluated at passes
     1, 2, 3, 4, 6, 8, 12, 16 and adaptively
  B  a deeper unshared plain GPT with R's inference FLOPs at its default passes
  C  A trained longer, to R's training FLOPs
It writes docs/quality/recursion.md (tables), recursion.json (every number) and the figures
recursion-flops.svg and recursion-ms.svg (val loss against inference FLOPs and CPU ms per token);
`plots` redraws the figures from the JSON alone. Runs go to --work (default: a scratch folder) and
a run whose checkpoint is already there is not trained again, so an interrupted study resumes.

The data comes from ../shared/data (makemore's names.txt, char-rnn's Tiny Shakespeare) or --data; the engine from
native/out/microgpt (npm install builds it). Runs go to a scratch folder.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENGINE = os.path.join(ROOT, "native", "out", "microgpt")
SHARED_NAMES = os.path.join(ROOT, "..", "shared", "data", "names.txt")


def shown(cmd, work):
    """The command as the doc prints it: paths from the project's root, runs in $RUNS."""
    return " ".join(a.replace(work, "$RUNS").replace(ROOT + os.sep, "") for a in cmd)


def run(cmd, log, work=""):
    log.append(shown(cmd, work))
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout


def evaluate(checkpoint, data, extra=(), log=None, work=""):
    out = run([ENGINE, "--eval", "--checkpoint", checkpoint, "--data", data, "--json"] + list(extra), [] if log is None else log, work)
    return json.loads(out.strip().splitlines()[-1])


def names_split(args):
    data = args.data or SHARED_NAMES
    if not os.path.exists(data):
        sys.exit(f"names.txt not found at {data}: give --data <path to makemore's names.txt>")
    work = tempfile.mkdtemp(prefix="mg-quality-")
    log = []
    rows = []
    started = time.time()
    for seed in args.seeds:
        ck = {}
        for split in ("tail", "lines"):
            path = os.path.join(work, f"{split}-{seed}.bin")
            cmd = [ENGINE, "--train", "--data", data, "--preset", args.preset, "--max_passes", "1", "--steps", str(args.steps),
                   "--batch_size", str(args.batch_size), "--eval_interval", str(args.eval_interval), "--log_interval", "1000",
                   "--seed", str(seed), "--save_checkpoint", path] + (["--split_lines"] if split == "lines" else [])
            t0 = time.time()
            run(cmd, log, work)
            ck[split] = (path, time.time() - t0)
        # each run's best weights over its own whole val split (the split is saved in the checkpoint)
        tail_best, lines_best = ck["tail"][0].replace(".bin", ".best.bin"), ck["lines"][0].replace(".bin", ".best.bin")
        own_tail, own_lines = evaluate(tail_best, data), evaluate(lines_best, data)
        rows.append({
            "seed": seed,
            "tail_on_tail": own_tail["loss"], "lines_on_lines": own_lines["loss"],
            "tail_val_tokens": own_tail["tokens"], "lines_val_tokens": own_lines["tokens"],
            "seconds": ck["tail"][1] + ck["lines"][1],
        })
        print(f"seed {seed}: tail split {own_tail['loss']:.4f}, whole lines {own_lines['loss']:.4f} nats", flush=True)

    summary = (f"`{args.preset}`, plain (`--max_passes 1`), {args.steps} steps of batch {args.batch_size}, "
               f"val every {args.eval_interval} steps, the best checkpoint of each run evaluated with `--eval` over its whole val split; "
               f"{len(rows)} seed(s), {sum(r['seconds'] for r in rows) / 60:.1f} min of training in all on this machine.")
    table = study_table(summary, ["seed", "val loss, the tail held out (nats)", "val loss, whole lines held out (nats)", "val characters (tail / lines)"],
                        [[r["seed"], f"{r['tail_on_tail']:.4f}", f"{r['lines_on_lines']:.4f}", f"{r['tail_val_tokens']:,} / {r['lines_val_tokens']:,}"] for r in rows],
                        ["**mean ± sd**", f"**{mean_sd(rows, 'tail_on_tail')}**", f"**{mean_sd(rows, 'lines_on_lines')}**", ""], log)
    write_study("names-split", table, started)


def names_target(args):
    """makemore's names.txt (its README: a test loss of about 1.92) with at most 1M parameters, on
    whole lines held out with the seed; each run's best checkpoint over its whole val split."""
    data = args.data or SHARED_NAMES
    if not os.path.exists(data):
        sys.exit(f"names.txt not found at {data}: give --data <path to makemore's names.txt>")
    work = args.work or tempfile.mkdtemp(prefix="mg-quality-")
    os.makedirs(work, exist_ok=True)
    log, rows = [], []
    started = time.time()
    for seed in args.seeds:
        path = os.path.join(work, f"names-{args.preset}-{seed}.bin")
        cmd = [ENGINE, "--train", "--data", data, "--preset", args.preset, "--split_lines", "--steps", str(args.steps),
               "--batch_size", str(args.batch_size), "--eval_interval", str(args.eval_interval), "--log_interval", "1000",
               "--seed", str(seed), "--save_checkpoint", path] + (["--lr", args.lr] if args.lr else []) + args.extra
        t0 = time.time()
        out = run(cmd, log, work)
        seconds = time.time() - t0
        best_line = next(l for l in out.splitlines() if l.startswith("best val loss"))
        seq_len = int(next(l for l in out.splitlines() if l.startswith("training:")).split(" x ")[1].split(",")[0])
        best_step = int(best_line.split("after step")[1].split(",")[0])
        best, last = evaluate(path.replace(".bin", ".best.bin"), data), evaluate(path, data)
        rows.append({"seed": seed, "best": best["loss"], "last": last["loss"], "best_step": best_step, "tokens": best["tokens"],
                     "seconds": seconds, "seq_len": seq_len})
        print(f"seed {seed}: best {best['loss']:.4f} (step {best_step}), last {last['loss']:.4f} nats ({seconds:.0f} s)", flush=True)
    n_params = f"{param_count(os.path.join(work, f'names-{args.preset}-{args.seeds[0]}.bin')):,}"
    lr = args.lr or "the preset's"
    summary = (f"`{args.preset}` ({n_params} parameters{', ' + ' '.join(args.extra) if args.extra else ''}), whole lines held out with the seed "
               f"(`--split_lines`), {args.steps} steps of {args.batch_size} × {rows[0]['seq_len']} characters, peak lr {lr}, val every "
               f"{args.eval_interval} steps; each run's best and last checkpoints evaluated with `--eval` over the whole val split; "
               f"{len(rows)} seed(s), {sum(r['seconds'] for r in rows) / 60:.1f} min of training in all on this machine.")
    table = study_table(summary, ["seed", "val loss, best checkpoint (nats)", "at step", "val loss, last step (nats)", "val characters", "training time"],
                        [[r["seed"], f"{r['best']:.4f}", r["best_step"], f"{r['last']:.4f}", f"{r['tokens']:,}", f"{r['seconds']:.0f} s"] for r in rows],
                        ["**mean ± sd**", f"**{mean_sd(rows, 'best')}**", "", f"**{mean_sd(rows, 'last')}**", "", ""], log)
    write_study(args.out or f"names-{args.preset}", table, started)


def shakespeare_data(args):
    data = args.data or os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt")
    if not os.path.exists(data):
        sys.exit(f"tinyshakespeare.txt not found at {data}: give --data <path to char-rnn's input.txt>")
    return data


def shakespeare_cmd(data, seed, path, steps, lr, eval_interval, model_args):
    """nanoGPT's CPU Shakespeare run: --block_size=64 --batch_size=12 --max_iters=2000
    --lr_decay_iters=2000 --dropout=0.0, lr to 1e-4 after 100 warmup steps, beta2 0.99, wd 0.1, clip 1."""
    return [ENGINE, "--train", "--data", data, "--preset", "8gb", "--batch_size", "12", "--seq_len", "64",
            "--steps", str(steps), "--lr", lr, "--min_lr", "1e-4", "--warmup_steps", "100", "--beta2", "0.99",
            "--weight_decay", "0.1", "--grad_clip", "1", "--eval_interval", str(eval_interval), "--log_interval", "1000",
            "--seed", str(seed), "--save_checkpoint", path] + model_args


def param_count(checkpoint):
    info = run([ENGINE, "--info", "--checkpoint", checkpoint], [])
    return int(next(l.split(":")[1] for l in info.splitlines() if l.startswith("parameters:")).strip())


def shakespeare_plain(args):
    """nanoGPT's CPU Shakespeare run (its README: val 1.88) with a plain GPT of the 8gb shape."""
    data = shakespeare_data(args)
    work = tempfile.mkdtemp(prefix="mg-quality-")
    log, rows = [], []
    started = time.time()
    for seed in args.seeds:
        path = os.path.join(work, f"plain-{seed}.bin")
        t0 = time.time()
        run(shakespeare_cmd(data, seed, path, args.steps, args.lr, args.eval_interval, ["--max_passes", "1"]), log, work)
        seconds = time.time() - t0
        best, last = evaluate(path.replace(".bin", ".best.bin"), data), evaluate(path, data)
        rows.append({"seed": seed, "best": best["loss"], "last": last["loss"], "tokens": best["tokens"], "seconds": seconds})
        print(f"seed {seed}: best {best['loss']:.4f}, last {last['loss']:.4f} nats ({seconds:.0f} s)", flush=True)
    n_params = f"{param_count(os.path.join(work, f'plain-{args.seeds[0]}.bin')):,}"

    recipe = "nanoGPT's CPU recipe" if args.lr == "1e-3" else f"nanoGPT's CPU recipe but for the peak lr ({args.lr})"
    summary = (f"Plain GPT (`--max_passes 1`) of the `8gb` shape ({n_params} parameters), {recipe}: "
               f"{args.steps} steps of 12 × 64 characters, lr {args.lr} cosine to 1e-4 after 100 warmup steps, β2 0.99, "
               f"weight decay 0.1, clip 1; val = the last 10% of the text, evaluated with `--eval` over all of it; "
               f"{len(rows)} seed(s), {sum(r['seconds'] for r in rows) / 60:.1f} min of training in all on this machine.")
    table = study_table(summary, ["seed", "val loss, best checkpoint (nats)", "val loss, last step (nats)", "val characters", "training time"],
                        [[r["seed"], f"{r['best']:.4f}", f"{r['last']:.4f}", f"{r['tokens']:,}", f"{r['seconds']:.0f} s"] for r in rows],
                        ["**mean ± sd**", f"**{mean_sd(rows, 'best')}**", f"**{mean_sd(rows, 'last')}**", "", ""], log)
    write_study("shakespeare-plain" if args.lr == "1e-3" else f"shakespeare-plain-lr{args.lr}", table, started)


# ----------------------------------------------------------------------------------------------
# the recursion study (issue 12 §3-4)

# The 8gb shape and Tiny Shakespeare's vocabulary (65 characters + 3 special tokens): FLOPs are
# counted from these, per token, as multiply-adds x 2.
C, H, T, V = 128, 512, 64, 68
R_PASSES = [1, 2, 3, 4, 6, 8, 12, 16]


def layer_flops():
    """One transformer block, forward, per token: qkv, attention projection, MLP (4C^2 + 2CH
    weights), plus causal attention (QK^T and AV over (T+1)/2 positions on average)."""
    return 2 * (4 * C * C + 2 * C * H) + 2 * 2 * C * (T + 1) // 2


def inference_flops(outer_layers, core_layers, passes, recurrent):
    """Forward FLOPs per token: the unshared layers once, the core per pass, the adapter
    ((C, 2C)) per pass when recurrent, and the LM head."""
    adapter = 2 * 2 * C * C * passes if recurrent else 0
    return (outer_layers + core_layers * passes) * layer_flops() + adapter + 2 * C * V


def pass_distribution(mean, most):
    """The trainer's passes per step: 1 + Poisson(mean - 1), clamped to [1, most]
    (native/src/train/trainer.cpp sample_passes)."""
    lam, pmf, p = mean - 1.0, [], None
    for k in range(most - 1):
        pmf.append(math.exp(-lam) * lam ** k / math.factorial(k))
    pmf.append(1.0 - sum(pmf))
    return {k + 1: q for k, q in enumerate(pmf)}


def training_flops_per_token(outer_layers, core_layers, recursion):
    """Forward + backward (3x the forward) per training token, in expectation over the sampled
    passes; passes before the last backprop_passes run forward only, detached."""
    if recursion is None:
        return 3 * inference_flops(outer_layers, core_layers, 1, False)
    mean, most, bp = recursion
    per_pass = core_layers * layer_flops() + 2 * 2 * C * C
    total = 0.0
    for passes, q in pass_distribution(mean, most).items():
        taped = min(passes, bp)
        total += q * (3 * taped + (passes - taped)) * per_pass
    return 3 * (outer_layers * layer_flops() + 2 * C * V) + total


def recursion_study(args):
    data = shakespeare_data(args)
    work = args.work or tempfile.mkdtemp(prefix="mg-quality-")
    os.makedirs(work, exist_ok=True)
    log = []
    started = time.time()
    mean, most, bp = float(args.mean_passes), args.max_passes, args.backprop_passes
    r_default = round(mean)
    outer, core = 2, 2  # 8gb with recursion: prelude 1 + core 2 + coda 1
    b_layers = outer + core * r_default
    a_train = training_flops_per_token(4, 0, None)
    r_train = training_flops_per_token(outer, core, (mean, most, bp))
    c_steps = round(args.steps * r_train / a_train)
    arms = {
        "A": {"args": ["--max_passes", "1"], "steps": args.steps, "train_flops": a_train,
              "infer_flops": inference_flops(4, 0, 1, False), "what": "plain GPT, the 8gb shape"},
        "R": {"args": ["--max_passes", str(most), "--mean_passes", args.mean_passes, "--backprop_passes", str(bp),
                       "--prelude_layers", "1", "--coda_layers", "1"], "steps": args.steps, "train_flops": r_train,
              "infer_flops": inference_flops(outer, core, r_default, True),
              "what": f"recursion: prelude 1 + core 2 × passes + coda 1, mean {args.mean_passes} passes (max {most}, backprop through {bp})"},
        "B": {"args": ["--max_passes", "1", "--num_layers", str(b_layers)], "steps": args.steps,
              "train_flops": training_flops_per_token(b_layers, 0, None), "infer_flops": inference_flops(b_layers, 0, 1, False),
              "what": f"plain GPT, {b_layers} unshared layers: R's inference FLOPs at {r_default} passes"},
        "C": {"args": ["--max_passes", "1"], "steps": c_steps, "train_flops": a_train,
              "infer_flops": inference_flops(4, 0, 1, False), "what": f"A trained for {c_steps} steps: R's training FLOPs"},
    }
    results = {"recipe": {"steps": args.steps, "batch": 12, "seq_len": 64, "lr": args.lr, "min_lr": "1e-4",
                          "warmup": 100, "beta2": 0.99, "weight_decay": 0.1, "grad_clip": 1},
               "seeds": args.seeds, "arms": {}}
    # phase 1: train every arm and seed, and evaluate each run's best checkpoint over the whole val split
    for name, arm in arms.items():
        runs = []
        for seed in args.seeds:
            path = os.path.join(work, f"{name}-{seed}.bin")
            cmd = shakespeare_cmd(data, seed, path, arm["steps"], args.lr, args.eval_interval, arm["args"])
            t0 = time.time()
            if os.path.exists(path) and "(done)" in open(path + ".log").read():
                log.append(shown(cmd, work) + "   # already trained in --work")
            else:
                out = run(cmd, log, work)
                with open(path + ".log", "w") as f:
                    f.write(out + "(done)\n")
            seconds = time.time() - t0
            best = path.replace(".bin", ".best.bin")
            passes = R_PASSES if name == "R" else [1]
            evals = {str(p): evaluate(best, data, ["--passes", str(p)], log, work) for p in passes}
            if name == "R":
                evals["adaptive"] = evaluate(best, data, ["--passes", str(most), "--adaptive"], log, work)
            runs.append({"seed": seed, "train_seconds": seconds, "evals": {k: {"loss": e["loss"], "mean_passes": e["mean_passes"]}
                                                                              for k, e in evals.items()}})
            print(f"{name} seed {seed}: " + ", ".join(f"{k} {e['loss']:.4f}" for k, e in evals.items()), flush=True)
        arm["params"] = param_count(os.path.join(work, f"{name}-{args.seeds[0]}.bin"))
        results["arms"][name] = {k: arm[k] for k in ("what", "args", "steps", "params", "train_flops", "infer_flops")}
        results["arms"][name]["runs"] = runs
    # phase 2: CPU time per token, every evaluation point once more on the first seed's checkpoint,
    # one after another with nothing else running (the machine's noise is in these numbers)
    for name, arm in results["arms"].items():
        best = os.path.join(work, f"{name}-{args.seeds[0]}.best.bin")
        points = list(arm["runs"][0]["evals"].keys())
        arm["ms_per_token"] = {}
        for k in points:
            extra = ["--passes", str(most), "--adaptive"] if k == "adaptive" else ["--passes", k]
            arm["ms_per_token"][k] = evaluate(best, data, extra, log, work)["ms_per_token"]
    results["threads"] = os.cpu_count()
    results["minutes"] = (time.time() - started) / 60
    results["command"] = "python3 tools/quality.py " + " ".join(sys.argv[1:])
    results["log"] = log
    with open(os.path.join(ROOT, "docs", "quality", "recursion.json.tmp"), "w") as f:
        json.dump(results, f, indent=1)
    os.replace(os.path.join(ROOT, "docs", "quality", "recursion.json.tmp"), os.path.join(ROOT, "docs", "quality", "recursion.json"))
    plots(None)


def arm_points(arm):
    """(key, mean loss, sd, mean passes) per evaluation point of an arm, over its seeds."""
    out = []
    for k in arm["runs"][0]["evals"]:
        v = [r["evals"][k]["loss"] for r in arm["runs"]]
        mp = statistics.mean(r["evals"][k]["mean_passes"] for r in arm["runs"])
        out.append((k, statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0, mp))
    return out


def point_flops(results, name, mean_passes):
    arm = results["arms"][name]
    if name != "R":
        return arm["infer_flops"]
    return inference_flops(2, 2, mean_passes, True)


def recursion_tables(results, log):
    rec = results["recipe"]
    a = results["arms"]
    lines = [f"Tiny Shakespeare, every arm {rec['batch']} × {rec['seq_len']} characters per step, lr {rec['lr']} cosine to "
             f"{rec['min_lr']} after {rec['warmup']} warmup steps, β2 {rec['beta2']}, weight decay {rec['weight_decay']}, "
             f"clip {rec['grad_clip']}; seeds {', '.join(str(s) for s in results['seeds'])}; val = the text's last 10%, "
             f"every character of it, on each run's best checkpoint. FLOPs per token are counted (tools/quality.py "
             f"`inference_flops`); CPU ms per token is `--eval`'s own timing on this machine ({results['threads']} threads, "
             f"batched windows; adaptive runs the KV-cache decoder a token at a time, so its ms are not comparable), "
             f"measured once, on the first seed. {results['minutes']:.0f} min in all.", "",
             "| arm | model | parameters | steps | training TFLOPs per run | inference MFLOPs per token | val loss (nats), mean ± sd | CPU ms per token |",
             "|---|---|---|---|---|---|---|---|"]
    tokens_per_step = rec["batch"] * rec["seq_len"]
    for name in ("A", "R", "B", "C"):
        arm = a[name]
        for k, mean, sd, mp in arm_points(arm):
            label = name if name != "R" else (f"R, {k} pass{'es' if k != '1' else ''}" if k != "adaptive" else f"R, adaptive ({mp:.2f} passes)")
            lines.append(f"| {label} | {arm['what'] if k in ('1',) or name != 'R' else ''} | {arm['params']:,} | {arm['steps']} | "
                         f"{arm['train_flops'] * tokens_per_step * arm['steps'] / 1e12:.1f} | {point_flops(results, name, mp) / 1e6:.2f} | "
                         f"{mean:.4f} ± {sd:.4f} | {arm['ms_per_token'][k]:.4f} |")
    lines += ["", "Each seed (val loss, nats):", "", "| arm | " + " | ".join(f"seed {s}" for s in results["seeds"]) + " |",
              "|---|" + "---|" * len(results["seeds"])]
    for name in ("A", "R", "B", "C"):
        for k in a[name]["runs"][0]["evals"]:
            lines.append(f"| {name}{'' if name != 'R' else ' ' + k} | " + " | ".join(f"{r['evals'][k]['loss']:.4f}" for r in a[name]["runs"]) + " |")
    lines += ["", "Figures: [against inference FLOPs](recursion-flops.svg), [against CPU time](recursion-ms.svg) "
              "(`python3 tools/quality.py plots` redraws them from recursion.json).",
              "", "Commands (the engine at native/out/microgpt):", "", "```"] + log + ["```"]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# figures: plain SVG, no plotting library

COLORS = {"A": "#1f77b4", "R": "#d62728", "B": "#2ca02c", "C": "#9467bd"}


def nice_ticks(lo, hi, logx):
    """Round tick values across [lo, hi]: 1-2-5 steps per decade on a log axis."""
    if logx:
        ticks = [m * 10 ** e for e in range(-4, 6) for m in (1, 2, 5)]
        inside = [t for t in ticks if lo <= t <= hi]
        if len(inside) < 5:
            inside = [t for t in sorted(ticks + [m * 10 ** e for e in range(-4, 6) for m in (1.5, 3, 7)]) if lo <= t <= hi]
        return inside
    step = 10 ** math.floor(math.log10((hi - lo) / 4 or 1))
    return [lo + i * step for i in range(int((hi - lo) / step) + 1)]


def svg_plot(path, title, xlabel, points, logx):
    """points: (arm, label, x, loss, sd); R's fixed-pass points are joined by a line."""
    W, Hh, left, right, top, bottom = 900, 440, 70, 250, 40, 55  # the legend sits in the right margin
    xs = [p[2] for p in points]
    ys = [p[3] - p[4] for p in points] + [p[3] + p[4] for p in points]
    fx = (lambda x: math.log10(x)) if logx else (lambda x: x)
    x0, x1 = fx(min(xs)), fx(max(xs))
    pad = (x1 - x0) * 0.06 or 1
    x0, x1 = x0 - pad, x1 + pad
    y0, y1 = min(ys), max(ys)
    ypad = (y1 - y0) * 0.08 or 0.01
    y0, y1 = y0 - ypad, y1 + ypad
    px = lambda x: left + (fx(x) - x0) / (x1 - x0) * (W - left - right)
    py = lambda y: top + (y1 - y) / (y1 - y0) * (Hh - top - bottom)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{Hh}" viewBox="0 0 {W} {Hh}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{Hh}" fill="white"/>',
           f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">{title}</text>',
           f'<line x1="{left}" y1="{Hh - bottom}" x2="{W - right}" y2="{Hh - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{Hh - bottom}" stroke="black"/>',
           f'<text x="{(left + W - right) / 2}" y="{Hh - 12}" text-anchor="middle">{xlabel}</text>',
           f'<text x="16" y="{(top + Hh - bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 {(top + Hh - bottom) / 2})">val loss (nats per character)</text>']
    for i in range(6):  # y ticks
        y = y0 + (y1 - y0) * i / 5
        out.append(f'<line x1="{left - 4}" y1="{py(y):.1f}" x2="{W - right}" y2="{py(y):.1f}" stroke="#ddd"/>'
                   f'<text x="{left - 7}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.3f}</text>')
    for x in nice_ticks(min(xs), max(xs), logx):
        out.append(f'<line x1="{px(x):.1f}" y1="{Hh - bottom}" x2="{px(x):.1f}" y2="{Hh - bottom + 4}" stroke="black"/>'
                   f'<text x="{px(x):.1f}" y="{Hh - bottom + 17}" text-anchor="middle" font-size="10">{x:.3g}</text>')
    line = [p for p in points if p[0] == "R" and not p[1].startswith("adaptive")]
    if len(line) > 1:
        out.append('<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>' % (
            COLORS["R"], " ".join(f"{px(p[2]):.1f},{py(p[3]):.1f}" for p in line)))
    for arm, label, x, y, sd in points:
        c = COLORS[arm]
        out.append(f'<line x1="{px(x):.1f}" y1="{py(y - sd):.1f}" x2="{px(x):.1f}" y2="{py(y + sd):.1f}" stroke="{c}"/>')
        shape = (f'<rect x="{px(x) - 4:.1f}" y="{py(y) - 4:.1f}" width="8" height="8" fill="{c}"/>' if label.startswith("adaptive")
                 else f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="4" fill="{c}"/>')
        out.append(shape + f'<text x="{px(x) + 6:.1f}" y="{py(y) - 6:.1f}" fill="{c}" font-size="10">{label}</text>')
    for i, (arm, what) in enumerate([("A", "A: plain, equal parameters"), ("R", "R: recursion (square: adaptive)"),
                                     ("B", "B: deeper, R's FLOPs"), ("C", "C: A trained to R's training FLOPs")]):
        out.append(f'<circle cx="{W - right + 20}" cy="{top + 8 + i * 18}" r="4" fill="{COLORS[arm]}"/>'
                   f'<text x="{W - right + 30}" y="{top + 12 + i * 18}">{what}</text>')
    out.append("</svg>")
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(path + ".tmp", path)


def plots(_args):
    """The recursion study's tables (docs/quality/recursion.md) and every figure of
    docs/quality.md, from docs/quality/recursion.json alone."""
    src = os.path.join(ROOT, "docs", "quality", "recursion.json")
    if not os.path.exists(src):
        sys.exit(f"{src} is missing: run python3 tools/quality.py recursion first")
    with open(src) as f:
        results = json.load(f)
    out = os.path.join(ROOT, "docs", "quality", "recursion.md")
    with open(out + ".tmp", "w") as f:
        f.write(f"<!-- written by: {results['command']} (tables redrawn by: python3 tools/quality.py plots) -->\n\n"
                + recursion_tables(results, results["log"]))
    os.replace(out + ".tmp", out)
    print(f"wrote docs/quality/recursion.md")
    for axis, xlabel, out, logx in (("flops", "inference MFLOPs per token (log scale)", "recursion-flops.svg", True),
                                    ("ms", "CPU ms per token, batched --eval (log scale)", "recursion-ms.svg", True)):
        points = []
        for name, arm in results["arms"].items():
            for k, mean, sd, mp in arm_points(arm):
                if axis == "ms" and k == "adaptive":
                    continue  # the decoder's batch-1 timing is another measurement
                x = point_flops(results, name, mp) / 1e6 if axis == "flops" else arm["ms_per_token"][k]
                label = name if name != "R" else ("adaptive" if k == "adaptive" else f"{k}")
                points.append((name, label, x, mean, sd))
        svg_plot(os.path.join(ROOT, "docs", "quality", out), f"Tiny Shakespeare, 8gb budget: val loss against {'FLOPs' if axis == 'flops' else 'CPU time'}",
                 xlabel, points, logx)
        print(f"wrote docs/quality/{out}")


def mean_sd(rows, key):
    v = [r[key] for r in rows]
    return f"{statistics.mean(v):.4f} ± {statistics.stdev(v):.4f}" if len(v) > 1 else f"{v[0]:.4f}"


def study_table(summary, columns, cells, total, log):
    """A study's summary line, its table (a row per seed and the mean), and the commands it ran."""
    out = [summary, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in cells + [total]]
    out += ["", "Commands (the engine at native/out/microgpt):", "", "```"] + log + ["```"]
    return "\n".join(out) + "\n"


def write_study(name, table, started):
    os.makedirs(os.path.join(ROOT, "docs", "quality"), exist_ok=True)
    out = os.path.join(ROOT, "docs", "quality", f"{name}.md")
    with open(out + ".tmp", "w") as f:
        f.write(f"<!-- written by: python3 tools/quality.py {' '.join(sys.argv[1:])} -->\n\n{table}")
    os.replace(out + ".tmp", out)
    print(table)
    print(f"wrote {out} ({time.time() - started:.0f} s)")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="study", required=True)
    n = sub.add_parser("names-split", help="the tail vs whole lines held out, on names.txt")
    n.add_argument("--data")
    n.add_argument("--preset", default="micro")
    n.add_argument("--steps", type=int, default=2000)
    n.add_argument("--batch_size", type=int, default=32)
    n.add_argument("--eval_interval", type=int, default=200)
    n.add_argument("--seeds", type=int, nargs="+", default=[1337, 1338, 1339])
    nt = sub.add_parser("names", help="makemore's names.txt target (test loss about 1.92), whole lines held out")
    nt.add_argument("--data")
    nt.add_argument("--preset", default="8gb")
    nt.add_argument("--steps", type=int, default=4000)
    nt.add_argument("--batch_size", type=int, default=32)
    nt.add_argument("--lr", help="peak learning rate (default: the preset's)")
    nt.add_argument("--eval_interval", type=int, default=250)
    nt.add_argument("--seeds", type=int, nargs="+", default=[1337, 1338, 1339])
    nt.add_argument("--work", help="where the runs go")
    nt.add_argument("--out", help="the table's name in docs/quality (default names-<preset>)")
    nt.add_argument("extra", nargs="*", help="more engine flags, after --")
    sh = sub.add_parser("shakespeare-plain", help="nanoGPT's CPU Shakespeare run, reproduced with a plain GPT")
    sh.add_argument("--data")
    sh.add_argument("--steps", type=int, default=2000)
    sh.add_argument("--lr", default="1e-3", help="peak learning rate (nanoGPT's: 1e-3); another writes shakespeare-plain-lr<lr>.md")
    sh.add_argument("--eval_interval", type=int, default=250)
    sh.add_argument("--seeds", type=int, nargs="+", default=[1337, 1338, 1339])
    r = sub.add_parser("recursion", help="issue 12's study: plain (A), recursion (R), deeper (B), longer (C)")
    r.add_argument("--data")
    r.add_argument("--steps", type=int, default=2000)
    r.add_argument("--lr", default="3e-3")
    r.add_argument("--mean_passes", default="2")
    r.add_argument("--max_passes", type=int, default=4)
    r.add_argument("--backprop_passes", type=int, default=2)
    r.add_argument("--eval_interval", type=int, default=250)
    r.add_argument("--seeds", type=int, nargs="+", default=[1337, 1338, 1339])
    r.add_argument("--work", help="where the runs go (kept; a finished run is not trained again)")
    sub.add_parser("plots", help="redraw the figures from docs/quality/recursion.json")
    args = p.parse_args()
    if args.study != "plots" and not os.path.exists(ENGINE):
        sys.exit(f"{ENGINE} is missing: run npm install (or npm run build:native) first")
    {"names-split": names_split, "names": names_target, "shakespeare-plain": shakespeare_plain, "recursion": recursion_study, "plots": plots}[args.study](args)


if __name__ == "__main__":
    main()
