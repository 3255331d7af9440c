"""Parity: the engine's logits against tools/microgpt_torch.py on the same checkpoint, plain and
recursive (1 and 3 passes), and the PyTorch KV-cache decoder (the benchmark's peer) against the
PyTorch full forward. Exits 0 when all agree, 1 when not, 77 (skipped) without PyTorch.
  python3 tools/parity.py --bench native/out/mg-bench [--runner "qemu-aarch64 ..."]
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from torch_env import find_torch_python  # noqa: E402

TOL = 1e-4  # max |engine - torch| / max |logit|: float32 rounding is ~1e-6, any real mismatch is ~1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bench", required=True, help="path to mg-bench")
    p.add_argument("--runner", default="", help="emulator prefix for a cross-compiled mg-bench")
    p.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        py, env, why = find_torch_python()
        if not py:
            print("test-torch-parity: skipped: " + why)
            return 77
        return subprocess.run([py] + sys.argv + ["--inner"], env=env).returncode

    import numpy as np
    import torch
    from microgpt_torch import GPT, Decoder, load_checkpoint
    torch.set_num_threads(1)
    bench = shlex.split(a.runner) + [a.bench]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, max_passes, passes_list in [("plain", 1, [1]), ("recursive", 4, [1, 3])]:
            ck, ids_path = os.path.join(tmp, name + ".bin"), os.path.join(tmp, name + ".ids")
            # a micro model trained a few steps, so its logits are far from uniform
            subprocess.run(bench + ["init", "--preset", "micro", "--max_passes", str(max_passes), "--bytes", "20000",
                                    "--train_steps", "15", "--out", ck, "--tokens_out", ids_path],
                           check=True, capture_output=True)
            config, _chars, params = load_checkpoint(ck)
            model = GPT(config, params).eval()
            ids = [int(x) for x in np.fromfile(ids_path, dtype="<i4")[:41]]
            for passes in passes_list:
                out = subprocess.run(bench + ["logits", "--checkpoint", ck, "--passes", str(passes), "--ids",
                                              ",".join(map(str, ids))], check=True, capture_output=True, text=True)
                eng = torch.tensor(json.loads(out.stdout)["logits"]).view(len(ids), -1)
                with torch.no_grad():
                    ref = model(torch.tensor([ids]), passes=passes)[0]
                    dec = Decoder(model, passes)
                    inc = torch.stack([dec.feed(t) for t in ids])
                scale = float(ref.abs().max())
                for what, got in [("engine vs torch", eng), ("torch decoder vs torch forward", inc)]:
                    rel = float((got - ref).abs().max()) / scale
                    ok = rel <= TOL
                    failures += not ok
                    print(f"  {name:9s} passes {passes}: {what:31s} maxdiff {rel:.2g} of max |logit| {scale:.3g}"
                          f" {'ok' if ok else 'FAIL (tolerance %g)' % TOL}")
    print("test-torch-parity: " + ("all passed" if failures == 0 else f"{failures} failure(s)"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
