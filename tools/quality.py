#!/usr/bin/env python3
"""The measurements behind docs/quality.md, one command per study, each printing its table and
writing it, with the exact commands it ran, to docs/quality/<study>.md.

  python3 tools/quality.py names-split [--steps 2000] [--seeds 1337 1338 1339] [--preset micro]
  python3 tools/quality.py shakespeare-plain [--steps 2000] [--seeds 1337 1338 1339] [--lr 1e-3]

names-split: makemore's names.txt is sorted (by popularity, then alphabetically), so its last 10%
is the tail of the sort order: holding that out validates each name beside neighbours that share
its prefix. The study trains the same model twice per seed, validating on the tail and on whole
lines chosen with the seed (--split_lines), and evaluates each run's best checkpoint with --eval
over the whole val split of that run: the gap between the two is what the tail split flatters.

shakespeare-plain: nanoGPT's CPU run on Tiny Shakespeare (its README: val 1.88), with a plain GPT of
the 8gb shape (0.85M parameters) and nanoGPT's recipe, the best and the last checkpoint of each
seed evaluated over the whole val split (the text's last 10%, as nanoGPT's prepare.py cuts it).

The data comes from ../shared/data (makemore's names.txt, char-rnn's Tiny Shakespeare) or --data; the engine from
native/out/microgpt (npm install builds it). Runs go to a scratch folder.
"""
import argparse
import json
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


def evaluate(checkpoint, data):
    out = run([ENGINE, "--eval", "--checkpoint", checkpoint, "--data", data, "--json"], [])
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


def shakespeare_plain(args):
    """nanoGPT's CPU Shakespeare run (its README: val 1.88) with a plain GPT of the 8gb shape."""
    data = args.data or os.path.join(ROOT, "..", "shared", "data", "tinyshakespeare.txt")
    if not os.path.exists(data):
        sys.exit(f"tinyshakespeare.txt not found at {data}: give --data <path to char-rnn's input.txt>")
    work = tempfile.mkdtemp(prefix="mg-quality-")
    log, rows = [], []
    started = time.time()
    for seed in args.seeds:
        path = os.path.join(work, f"plain-{seed}.bin")
        # nanoGPT: --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000
        # --lr_decay_iters=2000 --dropout=0.0 (lr 1e-3 to 1e-4, warmup 100, beta2 0.99, wd 0.1, clip 1)
        cmd = [ENGINE, "--train", "--data", data, "--preset", "8gb", "--max_passes", "1", "--batch_size", "12",
               "--seq_len", "64", "--steps", str(args.steps), "--lr", args.lr, "--min_lr", "1e-4", "--warmup_steps", "100",
               "--beta2", "0.99", "--weight_decay", "0.1", "--grad_clip", "1", "--eval_interval", str(args.eval_interval),
               "--log_interval", "1000", "--seed", str(seed), "--save_checkpoint", path]
        t0 = time.time()
        run(cmd, log, work)
        seconds = time.time() - t0
        best, last = evaluate(path.replace(".bin", ".best.bin"), data), evaluate(path, data)
        rows.append({"seed": seed, "best": best["loss"], "last": last["loss"], "tokens": best["tokens"], "seconds": seconds})
        print(f"seed {seed}: best {best['loss']:.4f}, last {last['loss']:.4f} nats ({seconds:.0f} s)", flush=True)
    params = run([ENGINE, "--info", "--checkpoint", os.path.join(work, f"plain-{args.seeds[0]}.bin")], [])
    n_params = next((l.split(":")[1].strip() for l in params.splitlines() if l.startswith("parameters:")), "?")

    recipe = "nanoGPT's CPU recipe" if args.lr == "1e-3" else f"nanoGPT's CPU recipe but for the peak lr ({args.lr})"
    summary = (f"Plain GPT (`--max_passes 1`) of the `8gb` shape ({n_params} parameters), {recipe}: "
               f"{args.steps} steps of 12 × 64 characters, lr {args.lr} cosine to 1e-4 after 100 warmup steps, β2 0.99, "
               f"weight decay 0.1, clip 1; val = the last 10% of the text, evaluated with `--eval` over all of it; "
               f"{len(rows)} seed(s), {sum(r['seconds'] for r in rows) / 60:.1f} min of training in all on this machine.")
    table = study_table(summary, ["seed", "val loss, best checkpoint (nats)", "val loss, last step (nats)", "val characters", "training time"],
                        [[r["seed"], f"{r['best']:.4f}", f"{r['last']:.4f}", f"{r['tokens']:,}", f"{r['seconds']:.0f} s"] for r in rows],
                        ["**mean ± sd**", f"**{mean_sd(rows, 'best')}**", f"**{mean_sd(rows, 'last')}**", "", ""], log)
    write_study("shakespeare-plain" if args.lr == "1e-3" else f"shakespeare-plain-lr{args.lr}", table, started)


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
    sh = sub.add_parser("shakespeare-plain", help="nanoGPT's CPU Shakespeare run, reproduced with a plain GPT")
    sh.add_argument("--data")
    sh.add_argument("--steps", type=int, default=2000)
    sh.add_argument("--lr", default="1e-3", help="peak learning rate (nanoGPT's: 1e-3); another writes shakespeare-plain-lr<lr>.md")
    sh.add_argument("--eval_interval", type=int, default=250)
    sh.add_argument("--seeds", type=int, nargs="+", default=[1337, 1338, 1339])
    args = p.parse_args()
    if not os.path.exists(ENGINE):
        sys.exit(f"{ENGINE} is missing: run npm install (or npm run build:native) first")
    {"names-split": names_split, "shakespeare-plain": shakespeare_plain}[args.study](args)


if __name__ == "__main__":
    main()
