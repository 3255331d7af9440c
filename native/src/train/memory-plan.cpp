#include "train/memory-plan.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include <omp.h>

#include "autograd/tape.h"
#include "kernels/gemm.h"
#include "core/error.h"
#include "io/save-target.h"
#include "model/gpt.h"

namespace mg {

namespace {

// Sums saturate: a request far past any machine (the largest shapes the limits allow) must
// still produce a number to refuse, not one that wrapped around.
size_t sat_add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }
size_t float_bytes(size_t floats) {  // rounded to the arena's 64-byte alignment
    return floats > (SIZE_MAX - 63) / sizeof(float) ? SIZE_MAX : (floats * sizeof(float) + 63) & ~size_t(63);
}

// A shape-only Tape: the same allocations as autograd/ops.cpp, in the same order, without data.
// Each method mirrors the op of the same name; keep them in step (test-memory-plan fails when
// they drift apart).
struct SimTape {
    struct Tensor { size_t n; bool needs_grad; bool param; };
    struct Entry { int out, a, b; };
    std::vector<Tensor> tensors;
    std::vector<Entry> entries;
    size_t used = 0, peak = 0;
    bool recording = true;
    int B = 0, T = 0, NH = 0;

    void raw(size_t floats) {
        used = sat_add(used, float_bytes(floats));
        peak = std::max(peak, used);
    }
    int tensor(size_t rows, size_t cols, bool with_grad) {  // Tape::new_tensor
        used = sat_add(used, float_bytes((sizeof(mg::Tensor) + 3) / 4));
        raw(rows * cols);
        tensors.push_back({rows * cols, with_grad && recording, false});
        return int(tensors.size()) - 1;
    }
    int param() {  // a parameter view: its gradient lives in the model, not in the arenas
        tensors.push_back({0, false, true});
        return int(tensors.size()) - 1;
    }
    bool wants(int t) const { return t >= 0 && (tensors[size_t(t)].param || tensors[size_t(t)].needs_grad); }
    bool grad(int a, int b = -1) const { return recording && (wants(a) || wants(b)); }
    size_t rows(int t, size_t cols) const { return tensors[size_t(t)].n / cols; }

    int encoder(int C, int wte, int wpe) {
        bool g = grad(wte, wpe);
        int out = tensor(size_t(B) * T, C, g);
        if (g) entries.push_back({out, wte, wpe});
        return out;
    }
    int matmul(int x, size_t in_cols, size_t out_cols, int w) {
        bool g = grad(x, w);
        int out = tensor(rows(x, in_cols), out_cols, g);
        if (g) entries.push_back({out, x, w});
        return out;
    }
    int rmsnorm(int x, size_t cols, int w) {
        bool g = grad(x, w);
        size_t r = rows(x, cols);
        int out = tensor(r, cols, g);
        if (g) raw(r);  // rstd
        if (g) entries.push_back({out, x, w});
        return out;
    }
    int attention(int qkv, size_t C) {
        bool g = grad(qkv);
        int out = tensor(rows(qkv, 3 * C), C, g);
        raw(size_t(B) * NH * T * T);  // att, kept even when not recording
        if (g) entries.push_back({out, qkv, -1});
        return out;
    }
    int unary(int x, size_t cols) {  // gelu
        bool g = grad(x);
        int out = tensor(rows(x, cols), cols, g);
        if (g) entries.push_back({out, x, -1});
        return out;
    }
    int binary(int a, int b, size_t cols_a, size_t cols_b, size_t out_cols) {  // residual, concat
        bool g = grad(a, b);
        int out = tensor(rows(a, cols_a), out_cols, g);
        if (g) entries.push_back({out, a, b});
        (void)cols_b;
        return out;
    }
    void crossentropy(int logits, size_t V) {
        size_t N = rows(logits, V);
        raw(N);      // losses
        raw(N * V);  // probs
        if (grad(logits)) entries.push_back({-1, logits, -1});
    }

    // Tape::backward: a gradient is taken from the pool (same size, last given first) or the
    // arena when an op first needs it, and given back once its producer has run.
    size_t backward() const {
        std::vector<bool> has(tensors.size(), false);
        std::vector<size_t> pool;
        size_t arena = 0;
        for (size_t i = entries.size(); i-- > 0;) {
            const Entry & e = entries[i];
            if (e.out >= 0 && !has[size_t(e.out)]) continue;
            for (int t : {e.a, e.b}) {
                if (t < 0 || !tensors[size_t(t)].needs_grad || has[size_t(t)]) continue;
                const size_t n = tensors[size_t(t)].n;
                auto it = std::find(pool.rbegin(), pool.rend(), n);
                if (it != pool.rend()) pool.erase(std::next(it).base());
                else arena = sat_add(arena, float_bytes(n));
                has[size_t(t)] = true;
            }
            if (e.out >= 0 && tensors[size_t(e.out)].needs_grad) {
                pool.push_back(tensors[size_t(e.out)].n);
                has[size_t(e.out)] = false;
            }
        }
        return arena;
    }
};

struct SimModel {
    const ModelConfig & c;
    SimTape & t;
    int wte, wpe, adapter, statenorm, lnf, lmhead, lw;  // lw: any layer weight (all are params)
    bool dropout = false;  // gpt.cpp's DropoutSites: a tensor per site (the training step's only)

    int drop(int x, size_t cols) { return dropout ? t.unary(x, cols) : x; }

    int block(int x) {
        const size_t C = c.embed_dim, H = c.hidden_dim;
        int h = t.rmsnorm(x, C, lw);
        int qkv = t.matmul(h, C, 3 * C, lw);
        int a = t.attention(qkv, C);
        int proj = drop(t.matmul(a, C, C, lw), C);
        x = t.binary(x, proj, C, C, C);
        h = t.rmsnorm(x, C, lw);
        int fc = t.matmul(h, C, H, lw);
        int u = t.unary(fc, H);
        int down = drop(t.matmul(u, H, C, lw), C);
        return t.binary(x, down, C, C, C);
    }
    int pass(int s, int e) {
        const size_t C = c.embed_dim;
        int cat = t.binary(s, e, C, C, 2 * C);
        int x = t.matmul(cat, 2 * C, C, adapter);
        for (int l = 0; l < c.core_layers(); l++) x = block(x);
        return t.rmsnorm(x, C, statenorm);
    }
    // gpt_forward_loss with `passes` passes, `grad_passes` of them on the tape when recording
    void forward_loss(int passes, int grad_passes) {
        const size_t N = size_t(t.B) * t.T, C = c.embed_dim;
        int x = drop(t.encoder(c.embed_dim, wte, wpe), C);
        for (int l = 0; l < c.prelude_layers; l++) x = block(x);
        int s;
        if (!c.recurrent()) {
            for (int l = 0; l < c.core_layers(); l++) x = block(x);
            s = x;
        } else {
            int e = x;
            s = t.tensor(N, C, false);  // the zero state
            int taped = t.recording ? std::max(1, std::min(grad_passes, passes)) : 0;
            int detached = passes - taped;
            if (detached > 0) {
                bool was = t.recording;
                t.recording = false;
                int state = t.tensor(N, C, false);
                for (int p = 0; p < detached; p++) {
                    size_t mark = t.used;
                    pass(s, e);
                    t.used = mark;
                    s = state;
                }
                t.recording = was;
            }
            for (int p = 0; p < taped; p++) s = pass(s, e);
        }
        for (int l = 0; l < c.coda_layers; l++) s = block(s);
        int h = t.rmsnorm(s, C, lnf);
        int logits = t.matmul(h, C, size_t(c.vocab_size), lmhead);
        t.crossentropy(logits, size_t(c.vocab_size));
    }
};

SimTape simulate(const ModelConfig & c, int B, int T, bool recording, int passes, bool dropout = false) {
    SimTape t;
    t.B = B, t.T = T, t.NH = c.num_heads;
    t.recording = recording;
    SimModel m{c, t, t.param(), t.param(), t.param(), t.param(), t.param(), t.param(), t.param(), dropout};
    m.forward_loss(passes, c.backprop_passes);
    return t;
}

}  // namespace

TapePlan plan_tape(const ModelConfig & c, int B, int T, bool dropout) {
    validate_config(c);
    MG_CHECK(B >= 1 && T >= 1 && T <= c.max_seq_len, "plan_tape: bad batch shape");
    SimTape train = simulate(c, B, T, true, c.recurrent() ? c.max_passes : 1, dropout);
    SimTape eval = simulate(c, B, T, false, c.default_passes());
    TapePlan p;
    p.acts = std::max(train.peak, eval.peak);
    p.grads = train.backward();
    p.entries = train.entries.size();
    return p;
}

size_t plan_inference_acts(const ModelConfig & c, int B, int T, int passes) {
    validate_config(c);
    MG_CHECK(B >= 1 && T >= 1 && T <= c.max_seq_len && passes >= 1, "plan_inference_acts: bad batch shape");
    return simulate(c, B, T, false, c.recurrent() ? passes : 1).peak;
}

MemoryPlan plan_training_memory(const ModelConfig & model, const TrainConfig & train, size_t data_bytes,
                                size_t data_tokens, int threads) {
    MemoryPlan p;
    p.batch_size = train.batch_size;
    p.seq_len = train.seq_len > 0 ? train.seq_len : model.max_seq_len;
    const uint64_t n = gpt_count_params(model);
    p.weights = n * 4;
    p.gradients = n * 4;
    p.optimizer = 2 * n * 4;
    TapePlan t = plan_tape(model, p.batch_size, p.seq_len, train.dropout > 0);
    // both arenas, the input and target ids, and the tape's entry list (it doubles as it grows)
    p.activations = sat_add(sat_add(t.acts, t.grads), 2 * uint64_t(p.batch_size) * p.seq_len * sizeof(int) +
                                                          2 * std::max<size_t>(t.entries, 1024) * sizeof(TapeEntry));
    // gemm's packing buffers, attention's backward scratch (T,T) per thread (attention-simd.h),
    // and what the runtime itself touches (thread stacks, the allocator's own pages): 8 MiB and
    // 1 MiB per thread. test-memory-plan measures about a quarter of that on this x86-64 machine;
    // the margin is for other allocators and page sizes (the Pi 5's kernel uses 16 KiB pages),
    // so that the plan stays an upper bound of the peak there too
    if (threads <= 0) threads = omp_get_max_threads();
    p.scratch = gemm_scratch_bytes(threads) + uint64_t(threads) * p.seq_len * p.seq_len * sizeof(float) +
                (uint64_t(8) << 20) + uint64_t(threads) * (uint64_t(1) << 20);
    p.data = data_bytes + uint64_t(data_tokens) * sizeof(int);
    p.total = sat_add(p.weights + p.gradients + p.optimizer + p.scratch + p.data, p.activations);
    return p;
}

std::string describe_memory_plan(const MemoryPlan & p) {
    return format_bytes(p.total) + " (weights " + format_bytes(p.weights) + ", gradients " + format_bytes(p.gradients) +
           ", optimizer " + format_bytes(p.optimizer) + ", activations " + format_bytes(p.activations) + " at batch " +
           std::to_string(p.batch_size) + " x " + std::to_string(p.seq_len) +
           ", kernel buffers " + format_bytes(p.scratch) + (p.data ? ", data " + format_bytes(p.data) : std::string()) + ")";
}

void check_training_memory(const ModelConfig & model, const TrainConfig & train, size_t data_bytes, size_t data_tokens,
                           uint64_t resident, uint64_t available, const std::string & available_source, bool new_model) {
    auto need = [&](const ModelConfig & m, const TrainConfig & t) {
        uint64_t total = plan_training_memory(m, t, data_bytes, data_tokens).total;
        return total > resident ? total - resident : 0;
    };
    if (need(model, train) <= available) return;
    const MemoryPlan plan = plan_training_memory(model, train, data_bytes, data_tokens);
    std::string hint;
    // the largest batch that fits (the need grows with the batch), found by bisection
    TrainConfig t = train;
    int lo = 0, hi = train.batch_size;  // lo fits (0: none known), hi does not
    while (hi - lo > 1) {
        t.batch_size = lo + (hi - lo) / 2;
        (need(model, t) <= available ? lo : hi) = t.batch_size;
    }
    if (lo >= 1) {
        int accum = (train.batch_size * train.grad_accum + lo - 1) / lo;
        hint = "lower the batch size to " + std::to_string(lo) + " or less";
        if (accum > train.grad_accum && accum <= 4096)
            hint += " (with gradient accumulation " + std::to_string(accum) + " to keep the tokens per step)";
    } else {
        hint = "even one sequence per batch does not fit";
    }
    if (new_model) {
        // the largest preset smaller than this model that fits at the asked batch
        std::string best;
        size_t best_n = 0;
        const size_t n_model = gpt_count_params(model);
        for (const std::string & name : model_preset_names()) {
            ModelConfig p = model_preset(name);
            p.vocab_size = model.vocab_size;
            p.max_passes = model.max_passes, p.mean_passes = model.mean_passes;
            p.backprop_passes = model.backprop_passes;
            TrainConfig pt = train;
            if (pt.seq_len > p.max_seq_len) pt.seq_len = p.max_seq_len;
            try {
                validate_config(p);
                const size_t np = gpt_count_params(p);
                if (np < n_model && np > best_n && need(p, pt) <= available) best = name, best_n = np;
            } catch (const error &) {
                // a preset these recursion settings do not fit is no suggestion
            }
        }
        if (!best.empty()) hint += ", or use the smaller preset " + best + " (it fits at batch " + std::to_string(train.batch_size) + ")";
    }
    const uint64_t loaded = resident > plan.data ? resident - plan.data : 0;  // a checkpoint read already
    MG_THROW_CODE(errc::kOutOfMemory,
                  "this run needs about " + describe_memory_plan(plan) + ", but only " + format_bytes(available) +
                      " of memory is available (" + available_source + ")" +
                      (loaded ? " beyond the " + format_bytes(loaded) + " of the checkpoint loaded already" : ""),
                  hint);
}

}  // namespace mg
