"""Finds a Python that can import torch, and the environment to run the PyTorch peer at its best
(the OpenMP build of OpenBLAS). Debian's python3-torch lives in /usr/bin/python3, which a pyenv
or venv python3 on the PATH may hide."""
import os
import subprocess
import sys

INSTALL_HINT = ("install the PyTorch peer with: apt-get install python3-torch libopenblas0-openmp "
                "(it runs with LD_LIBRARY_PATH=/usr/lib/<arch>-linux-gnu/openblas-openmp and as many "
                "torch threads as engine threads)")


def torch_env():
    env = dict(os.environ)
    for d in ("/usr/lib/x86_64-linux-gnu/openblas-openmp", "/usr/lib/aarch64-linux-gnu/openblas-openmp"):
        if os.path.isdir(d):
            env["LD_LIBRARY_PATH"] = d + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    return env


def find_torch_python():
    """(python, env, torch version) or (None, None, reason)."""
    env = torch_env()
    tried = []
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        if not py or not os.path.exists(py):
            continue
        r = subprocess.run([py, "-c", "import torch; print(torch.__version__)"], env=env, capture_output=True, text=True)
        if r.returncode == 0:
            return py, env, r.stdout.strip()
        tried.append(py)
    return None, None, "PyTorch is not installed (tried " + ", ".join(tried) + "); " + INSTALL_HINT
