"""PyTorch reference of the engine's model: the same architecture and parameter layout, loading
the engine's checkpoints. It is the benchmark peer (tools/torch_bench.py), the parity reference
(tools/parity.py) and, later, the export target.

Architecture (docs/engine.md, native/src/model/gpt.cpp): token + learned position embeddings,
pre-norm blocks of causal multi-head attention and a GELU (tanh) MLP, RMSNorm with a learned
gain everywhere, no biases, an untied LM head. Recursion: prelude layers run once, the shared
core runs `passes` times over the state s <- statenorm(core(adapter([s; e]))), then the coda.
"""
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

RMS_EPS = 1e-5
NUM_SPECIAL_TOKENS = 3


def load_checkpoint(path):
    """Reads an engine checkpoint (native/src/io/checkpoint.h): returns (config, chars, params)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"MGPTCKPT":
        raise ValueError(f"{path} is not a MicroGPT checkpoint")
    version, _flags, payload = struct.unpack_from("<IIQ", data, 8)
    if version != 1:
        raise ValueError(f"checkpoint version {version} is not supported (this reader knows 1)")
    if len(data) != 24 + payload + 8:
        raise ValueError(f"{path} is truncated or has trailing bytes")
    config, chars, params, pos = None, None, None, 24
    while pos < 24 + payload:
        tag = data[pos:pos + 4].decode("ascii")
        (length,) = struct.unpack_from("<Q", data, pos + 4)
        body = data[pos + 12:pos + 12 + length]
        if tag == "CONF":
            ints = struct.unpack_from("<10i", body)
            (mean_passes,) = struct.unpack_from("<f", body, 40)
            keys = ["vocab_size", "embed_dim", "num_layers", "num_heads", "max_seq_len", "hidden_dim",
                    "prelude_layers", "coda_layers", "max_passes", "backprop_passes"]
            config = dict(zip(keys, ints), mean_passes=mean_passes)
        elif tag == "VOCB":
            _nspecial, nchars = struct.unpack_from("<II", body)
            chars = [chr(c) for c in struct.unpack_from(f"<{nchars}I", body, 8)]
        elif tag == "WGHT":
            params = np.frombuffer(body, dtype="<f4").copy()
        pos += 12 + length
    if config is None or params is None:
        raise ValueError(f"{path} lacks its CONF or WGHT section")
    return config, chars, params


def param_layout(c):
    """(name, shape) in the engine's flat order (fill_layout in model/gpt.cpp)."""
    V, C, L, H, T = c["vocab_size"], c["embed_dim"], c["num_layers"], c["hidden_dim"], c["max_seq_len"]
    rec = c["max_passes"] > 1
    return [("wte", (V, C)), ("wpe", (T, C)), ("ln1w", (L, C)), ("qkvw", (L, 3 * C, C)),
            ("attprojw", (L, C, C)), ("ln2w", (L, C)), ("fcw", (L, H, C)), ("fcprojw", (L, C, H)),
            ("adapterw", (C, 2 * C) if rec else (0,)), ("statenormw", (C,) if rec else (0,)),
            ("lnfw", (C,)), ("lmheadw", (V, C))]


def rmsnorm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + RMS_EPS) * w


class GPT(nn.Module):
    def __init__(self, config, flat_params):
        super().__init__()
        self.c = c = config
        self.recurrent = c["max_passes"] > 1
        self.core = range(c["prelude_layers"], c["num_layers"] - c["coda_layers"])
        self.num_core = len(self.core)
        tensors, off = {}, 0
        for name, shape in param_layout(c):
            n = int(np.prod(shape))
            tensors[name] = torch.from_numpy(flat_params[off:off + n].reshape(shape).copy())
            off += n
        assert off == flat_params.size, "parameter count does not match the config"
        P = lambda t: nn.Parameter(t.clone())
        self.wte, self.wpe = P(tensors["wte"]), P(tensors["wpe"])
        self.ln1w = nn.ParameterList([P(t) for t in tensors["ln1w"]])
        self.qkvw = nn.ParameterList([P(t) for t in tensors["qkvw"]])
        self.attprojw = nn.ParameterList([P(t) for t in tensors["attprojw"]])
        self.ln2w = nn.ParameterList([P(t) for t in tensors["ln2w"]])
        self.fcw = nn.ParameterList([P(t) for t in tensors["fcw"]])
        self.fcprojw = nn.ParameterList([P(t) for t in tensors["fcprojw"]])
        if self.recurrent:
            self.adapterw, self.statenormw = P(tensors["adapterw"]), P(tensors["statenormw"])
        self.lnfw, self.lmheadw = P(tensors["lnfw"]), P(tensors["lmheadw"])
        T = c["max_seq_len"]
        self.register_buffer("mask", torch.tril(torch.ones(T, T, dtype=torch.bool)), persistent=False)

    def decay_groups(self, weight_decay):
        """AdamW groups as the engine's: decay on matrices and embeddings, not on norm gains."""
        gains = [p for n, p in self.named_parameters() if n.startswith(("ln1w", "ln2w", "statenormw", "lnfw"))]
        ids = {id(p) for p in gains}
        return [{"params": [p for p in self.parameters() if id(p) not in ids], "weight_decay": weight_decay},
                {"params": gains, "weight_decay": 0.0}]

    def block(self, l, x):
        B, T, C = x.shape
        NH = self.c["num_heads"]
        hs = C // NH
        q, k, v = F.linear(rmsnorm(x, self.ln1w[l]), self.qkvw[l]).split(C, dim=2)
        q, k, v = (t.view(B, T, NH, hs).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))
        att = att.masked_fill(~self.mask[:T, :T], float("-inf")).softmax(dim=-1)
        a = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + F.linear(a, self.attprojw[l])
        h = F.gelu(F.linear(rmsnorm(x, self.ln2w[l]), self.fcw[l]), approximate="tanh")
        return x + F.linear(h, self.fcprojw[l])

    def one_pass(self, s, e):
        x = F.linear(torch.cat([s, e], dim=-1), self.adapterw)
        for l in self.core:
            x = self.block(l, x)
        return rmsnorm(x, self.statenormw)

    def forward(self, idx, passes=1, grad_passes=None):
        """Logits (B, T, V). With grad enabled, only the last grad_passes passes are
        differentiated (the engine's truncated backprop through depth)."""
        B, T = idx.shape
        c = self.c
        x = self.wte[idx] + self.wpe[:T]
        for l in range(c["prelude_layers"]):
            x = self.block(l, x)
        if not self.recurrent:
            for l in self.core:
                x = self.block(l, x)
            s = x
        else:
            e, s = x, torch.zeros_like(x)
            taped = max(1, min(grad_passes or c["backprop_passes"], passes)) if torch.is_grad_enabled() else 0
            with torch.no_grad():
                for _ in range(passes - taped):
                    s = self.one_pass(s, e)
            for _ in range(taped):
                s = self.one_pass(s, e)
        for l in range(c["num_layers"] - c["coda_layers"], c["num_layers"]):
            s = self.block(l, s)
        return F.linear(rmsnorm(s, self.lnfw), self.lmheadw)


class Decoder:
    """Batch-1 incremental inference with KV caches, as the engine's model/decoder.cpp: one
    cache per prelude and coda layer, one per core layer and pass."""

    def __init__(self, model, passes):
        self.m, self.passes = model, passes
        c = model.c
        self.C, self.T = c["embed_dim"], c["max_seq_len"]
        slots = c["num_layers"] + model.num_core * (passes - 1 if model.recurrent else 0)
        self.k = torch.zeros(slots, self.T, self.C)
        self.v = torch.zeros(slots, self.T, self.C)
        self.pos = 0

    def reset(self):
        self.pos = 0

    def block(self, l, slot, x):
        m, C, p = self.m, self.C, self.pos
        NH = m.c["num_heads"]
        hs = C // NH
        q, k, v = F.linear(rmsnorm(x, m.ln1w[l]), m.qkvw[l]).split(C)
        self.k[slot, p], self.v[slot, p] = k, v
        K, Vv = self.k[slot, :p + 1].view(p + 1, NH, hs), self.v[slot, :p + 1].view(p + 1, NH, hs)
        att = torch.einsum("hd,thd->ht", q.view(NH, hs), K) * (1.0 / math.sqrt(hs))
        a = torch.einsum("ht,thd->hd", att.softmax(dim=-1), Vv).reshape(C)
        x = x + F.linear(a, m.attprojw[l])
        h = F.gelu(F.linear(rmsnorm(x, m.ln2w[l]), m.fcw[l]), approximate="tanh")
        return x + F.linear(h, m.fcprojw[l])

    @torch.no_grad()
    def feed(self, token):
        m, c = self.m, self.m.c
        x = m.wte[token] + m.wpe[self.pos]
        pre = c["prelude_layers"]
        for l in range(pre):
            x = self.block(l, l, x)
        if not m.recurrent:
            for j, l in enumerate(m.core):
                x = self.block(l, pre + j, x)
            s = x
        else:
            e, s = x, torch.zeros_like(x)
            for p in range(self.passes):
                x = F.linear(torch.cat([s, e]), m.adapterw)
                for j, l in enumerate(m.core):
                    x = self.block(l, pre + p * m.num_core + j, x)
                s = rmsnorm(x, m.statenormw)
        coda0 = pre + m.num_core * (self.passes if m.recurrent else 1)
        for j, l in enumerate(range(c["num_layers"] - c["coda_layers"], c["num_layers"])):
            s = self.block(l, coda0 + j, s)
        self.pos += 1
        return F.linear(rmsnorm(s, m.lnfw), m.lmheadw)
