"""`npm run bench`: the engine (mg-bench) against the PyTorch reference (tools/torch_bench.py) on
the same checkpoint, data, batch, sequence length and threads, interleaved and repeated; each
side's fastest repetition is reported (a shared machine's neighbours only ever slow a run down, so
the fastest is the least disturbed), with the ratio of medians beside it, as a table and as JSON.
Each measurement is its own process, so peak RSS is its own (the largest over the repetitions).
  python3 tools/bench.py [--engine native/out/mg-bench] [--threads N] [--reps 5] [--data FILE]
                         [--json FILE] [--quick]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_env import find_torch_python  # noqa: E402

TARGETS = {  # the targets; ratios are engine / PyTorch
    "train 8gb": 2.0, "train 16gb": 1.5, "generate": 10.0, "rss 8gb": 120.0, "rss 16gb": 750.0,
    "threads 16gb": 1.7, "passes overhead": 0.05,
}


def run_json(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--engine", default=os.path.join(HERE, "..", "native", "out", "mg-bench"))
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--data", help="training text (default: the engine's generated 1 MB corpus)")
    p.add_argument("--json", help="where to write the JSON (default: bench-results.json beside mg-bench)")
    p.add_argument("--quick", action="store_true", help="fewer steps and one repetition (a smoke run)")
    a = p.parse_args()
    if a.quick:
        a.reps = 1
    a.json = a.json or os.path.join(os.path.dirname(os.path.abspath(a.engine)), "bench-results.json")
    th = ["--threads", str(a.threads)]
    eng = [os.path.abspath(a.engine)]
    py, env, torch_version = find_torch_python()
    if not py:
        print("PyTorch peer: " + torch_version + "\nreporting the engine alone.\n")
    machine = machine_name()
    print(f"machine: {machine}, {a.threads} threads; PyTorch: {torch_version if py else 'absent'}")

    # the peak is a best case: the fastest of several short measurements
    peak = max(run_json(eng + ["peak", "--seconds", "0.4"] + th)["gflops"] for _ in range(5))
    print(f"FMA peak (measured): {peak:.1f} GFLOP/s")
    gemms = [run_json(eng + ["gemm"] + th)["shapes"] for _ in range(3)]  # per cell, the fastest of three
    gemm = [dict(s, **{k: max(g[i][k] for g in gemms) for k in ("forward", "dinp", "dweight")})
            for i, s in enumerate(gemms[0])]
    results = {"machine": machine, "threads": a.threads, "torch": torch_version if py else None,
               "peak_gflops": peak, "gemm": gemm, "cases": {}, "engine_only": {}}

    with tempfile.TemporaryDirectory() as tmp:
        models = {}
        for name, preset, max_passes in [("8gb", "8gb", 1), ("16gb", "16gb", 1), ("8gb-rec", "8gb", 4)]:
            ck, ids = os.path.join(tmp, name + ".bin"), os.path.join(tmp, name + ".ids")
            cmd = eng + ["init", "--preset", preset, "--max_passes", str(max_passes), "--out", ck, "--tokens_out", ids]
            run_json(cmd + (["--data", a.data] if a.data else []))
            models[name] = (ck, ids)
        q = 3 if a.quick else 1  # --quick divides the work
        # (case, engine args, torch args); the recursive case's torch args get the engine's passes
        cases = [
            ("train 8gb", ["train", "--batch", "16", "--seq", "64", "--warmup", "3", "--steps", str(40 // q)],
             ["train", "--batch", "16", "--seq", "64", "--warmup", "2", "--steps", str(15 // q)], "8gb"),
            ("train 16gb", ["train", "--batch", "16", "--seq", "128", "--warmup", "2", "--steps", str(9 // q)],
             ["train", "--batch", "16", "--seq", "128", "--warmup", "1", "--steps", str(4 // q + 1)], "16gb"),
            ("train 8gb recursive", ["train", "--batch", "16", "--seq", "64", "--warmup", "3", "--steps", str(30 // q)],
             ["train", "--batch", "16", "--seq", "64", "--warmup", "2", "--steps", str(10 // q)], "8gb-rec"),
        ]
        # generation with the engine's weights in fp32 (the peer's precision) and in fp16 (the
        # engine's default); PyTorch decodes in fp32 for both rows
        for w in ("fp32", "fp16"):
            cases += [
                (f"generate 8gb {w}", ["generate", "--passes", "1", "--reps", str(60 // q), "--weights", w],
                 ["generate", "--passes_gen", "1", "--reps", str(6 // q + 1)], "8gb"),
                (f"generate 16gb {w}", ["generate", "--passes", "1", "--reps", str(15 // q), "--weights", w],
                 ["generate", "--passes_gen", "1", "--reps", str(2)], "16gb"),
                (f"generate 8gb recursive x2 {w}", ["generate", "--passes", "2", "--reps", str(40 // q), "--weights", w],
                 ["generate", "--passes_gen", "2", "--reps", str(4 // q + 1)], "8gb-rec"),
            ]
        raw = {c[0]: {"engine": [], "torch": []} for c in cases}
        extra = {"train 16gb, 1 thread": [], "profile 8gb": None, "profile 16gb": None}
        for r in range(a.reps):
            for name, e_args, t_args, model in cases:
                ck, ids = models[model]
                e = run_json(eng + e_args + ["--checkpoint", ck, "--tokens", ids] + th)
                raw[name]["engine"].append(e)
                if py:
                    targs = list(t_args)
                    if "passes" in e and name.startswith("train"):
                        targs += ["--passes", ",".join(map(str, e["passes"]))]
                    tcmd = [py, os.path.join(HERE, "torch_bench.py")] + targs + ["--checkpoint", ck, "--tokens", ids] + th
                    raw[name]["torch"].append(run_json(tcmd, env))
                print(f"  rep {r + 1}/{a.reps} {name}: engine {e['tok_s']:,.0f} tok/s"
                      + (f", torch {raw[name]['torch'][-1]['tok_s']:,.0f} tok/s" if py else ""), flush=True)
            ck, ids = models["16gb"]
            extra["train 16gb, 1 thread"].append(run_json(eng + ["train", "--batch", "16", "--seq", "128", "--warmup", "1",
                                                                 "--steps", str(5 // q + 1), "--checkpoint", ck,
                                                                 "--tokens", ids, "--threads", "1"]))
        for name, model, steps in [("profile 8gb", "8gb", 30 // q), ("profile 16gb", "16gb", 6 // q + 1)]:
            ck, ids = models[model]
            seq = "64" if model == "8gb" else "128"
            extra[name] = run_json(eng + ["train", "--batch", "16", "--seq", seq, "--warmup", "2", "--steps", str(steps),
                                          "--checkpoint", ck, "--tokens", ids, "--profile"] + th)
        ck, ids = models["8gb-rec"]
        passes_cost = {r_: {"train_tok_s": 0.0, "generate_tok_s": 0.0} for r_ in (1, 2, 4)}
        for _ in range(1 if a.quick else 3):  # interleaved; the fastest of each, as for the peers
            for r_ in (1, 2, 4):
                tr = run_json(eng + ["passes", "--passes", str(r_), "--batch", "16", "--seq", "64", "--steps",
                                     str(10 // q + 2), "--checkpoint", ck, "--tokens", ids] + th)
                ge = run_json(eng + ["generate", "--passes", str(r_), "--reps", str(30 // q), "--weights", "fp16",
                                     "--checkpoint", ck] + th)
                cost = passes_cost[r_]
                cost["train_tok_s"] = max(cost["train_tok_s"], tr["tok_s"])
                cost["generate_tok_s"] = max(cost["generate_tok_s"], ge["tok_s"])

    report(results, raw, extra, passes_cost, peak, a, py is not None)
    with open(a.json, "w") as f:
        json.dump(results, f, indent=1)
    print(f"\nJSON: {os.path.abspath(a.json)}")


def med(xs, key):
    return statistics.median(x[key] for x in xs) if xs else None


def largest(xs, key):  # the fastest tok/s, or the highest peak RSS
    return max(x[key] for x in xs) if xs else None


def report(results, raw, extra, passes_cost, peak, a, have_torch):
    print("\nGEMM (engine matmul kernels), GFLOP/s and share of the measured peak:")
    print(f"| layer | N x IC -> OC | forward | dinp | dweight |\n|---|---|---|---|---|")
    for s in results["gemm"]:
        cell = lambda g: f"{g:.0f} ({100 * g / peak:.0f}%)"
        print(f"| {s['layer']} | {s['N']} x {s['IC']} -> {s['OC']} | {cell(s['forward'])} | {cell(s['dinp'])} "
              f"| {cell(s['dweight'])} |")
    print(f"\nfastest of {a.reps} interleaved repetitions each; the ratio of the medians beside it")
    print(f"| measure | engine | PyTorch | ratio | ratio of medians | MFU engine | MFU PyTorch | RSS engine | RSS PyTorch |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, d in raw.items():
        e_tok, t_tok = largest(d["engine"], "tok_s"), largest(d["torch"], "tok_s")
        e_rss, t_rss = largest(d["engine"], "peak_rss_mib"), largest(d["torch"], "peak_rss_mib")
        med_ratio = med(d["engine"], "tok_s") / med(d["torch"], "tok_s") if d["torch"] else None
        fpt = d["engine"][0].get("flops_per_token")
        mfu = lambda tok: f"{100 * tok * fpt / (peak * 1e9):.0f}%" if (fpt and tok) else ""
        ratio = e_tok / t_tok if t_tok else None
        results["cases"][name] = {"engine_tok_s": e_tok, "torch_tok_s": t_tok, "ratio": ratio,
                                  "ratio_of_medians": med_ratio,
                                  "engine_rss_mib": e_rss, "torch_rss_mib": t_rss, "flops_per_token": fpt,
                                  "engine_mfu": e_tok * fpt / (peak * 1e9) if fpt else None,
                                  "torch_mfu": t_tok * fpt / (peak * 1e9) if (fpt and t_tok) else None,
                                  "engine_runs": [x["tok_s"] for x in d["engine"]],
                                  "torch_runs": [x["tok_s"] for x in d["torch"]]}
        f = lambda v, fmt: fmt.format(v) if v is not None else "-"
        print(f"| {name} | {e_tok:,.0f} tok/s | {f(t_tok, '{:,.0f} tok/s')} | {f(ratio, '{:.2f}x')} | {f(med_ratio, '{:.2f}x')} | {mfu(e_tok)} "
              f"| {mfu(t_tok)} | {e_rss:.0f} MiB | {f(t_rss, '{:.0f} MiB')} |")
    one = largest(extra["train 16gb, 1 thread"], "tok_s")
    two = results["cases"]["train 16gb"]["engine_tok_s"]
    results["engine_only"]["train 16gb 1 thread tok_s"] = one
    results["engine_only"]["threads speedup 16gb"] = two / one
    results["engine_only"]["passes"] = passes_cost
    results["engine_only"]["profile 8gb"] = extra["profile 8gb"].get("profile")
    results["engine_only"]["profile 16gb"] = extra["profile 16gb"].get("profile")
    print(f"\nthreads: 16gb training {one:,.0f} tok/s on 1 thread, {two:,.0f} on {a.threads}: {two / one:.2f}x")
    print("recursion cost (8gb recursive model; time per token relative to r x one pass):")
    base = passes_cost[1]
    for r_, v in passes_cost.items():
        print(f"  passes {r_}: train fwd+bwd {v['train_tok_s']:,.0f} tok/s ({base['train_tok_s'] / v['train_tok_s'] / r_:.2f} of r x 1), "
              f"generate {v['generate_tok_s']:,.0f} tok/s ({base['generate_tok_s'] / v['generate_tok_s'] / r_:.2f} of r x 1)")
    for name in ("profile 8gb", "profile 16gb"):
        prof = extra[name].get("profile", {})
        top = sorted(prof.items(), key=lambda kv: -kv[1])
        print(f"{name} (share of step time): " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in top if v >= 0.005))
    # targets
    c = results["cases"]
    worst_pass = max(max(base["train_tok_s"] / v["train_tok_s"] / r_, base["generate_tok_s"] / v["generate_tok_s"] / r_)
                     for r_, v in passes_cost.items())
    checks = [
        ("training 8gb >= 2.0x PyTorch", c["train 8gb"]["ratio"], lambda v: v >= 2.0, "{:.2f}x"),
        ("training 16gb >= 1.5x PyTorch", c["train 16gb"]["ratio"], lambda v: v >= 1.5, "{:.2f}x"),
        ("generation 8gb >= 10x PyTorch, fp32 weights", c["generate 8gb fp32"]["ratio"], lambda v: v >= 10, "{:.1f}x"),
        ("generation 16gb >= 10x PyTorch, fp32 weights", c["generate 16gb fp32"]["ratio"], lambda v: v >= 10, "{:.1f}x"),
        ("generation 8gb >= 10x PyTorch, fp16 weights (default)", c["generate 8gb fp16"]["ratio"], lambda v: v >= 10, "{:.1f}x"),
        ("generation 16gb >= 10x PyTorch, fp16 weights (default)", c["generate 16gb fp16"]["ratio"], lambda v: v >= 10, "{:.1f}x"),
        ("peak RSS training 8gb <= 120 MiB", c["train 8gb"]["engine_rss_mib"], lambda v: v <= 120, "{:.0f} MiB"),
        ("peak RSS training 16gb <= 750 MiB", c["train 16gb"]["engine_rss_mib"], lambda v: v <= 750, "{:.0f} MiB"),
        ("1 -> 2 threads, 16gb training >= 1.7x", two / one, lambda v: v >= 1.7, "{:.2f}x"),
        ("passes=r costs <= r x one pass + 5%", worst_pass, lambda v: v <= 1.05, "{:.2f} of r x 1"),
    ]
    print("\ntargets:")
    results["targets"] = {}
    for label, v, ok, fmt in checks:
        state = "n/a (no PyTorch)" if v is None else ("holds" if ok(v) else "MISSED")
        results["targets"][label] = {"value": v, "holds": None if v is None else bool(ok(v))}
        print(f"  {label}: {'-' if v is None else fmt.format(v)} {state}")


def machine_name():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            key = line.split(":", 1)[0].strip().lower()
            if key in ("model name", "hardware") or (key == "model" and not model):
                model = line.split(":", 1)[1].strip()
                if key != "model":
                    break
    except OSError:
        pass
    return f"{model or 'unknown CPU'}, {os.cpu_count()} cores"


if __name__ == "__main__":
    main()
