#include "model/gpt.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"

namespace mg {

// Products of config fields, checked: a crafted or mistaken config must be an error here, never
// a count that wrapped around 64 bits and then sized the buffers.
static size_t checked_product(std::initializer_list<size_t> factors) {
    size_t p = 1;
    for (size_t f : factors)
        if (__builtin_mul_overflow(p, f, &p))
            MG_THROW_HINT("the model config's sizes overflow 64 bits", "use a smaller model (see --help for the limits)");
    return p;
}

static void fill_layout(ParamInfo info[PARAM_KIND_COUNT], const ModelConfig & c) {
    MG_CHECK(c.vocab_size >= 0 && c.embed_dim >= 0 && c.num_layers >= 0 && c.hidden_dim >= 0 && c.max_seq_len >= 0,
             "the model config has a negative size");
    const size_t V = size_t(c.vocab_size), C = size_t(c.embed_dim), L = size_t(c.num_layers), H = size_t(c.hidden_dim),
                 maxT = size_t(c.max_seq_len);
    const size_t R = c.recurrent() ? 1 : 0;
    const struct { const char * name; size_t size; bool decay; } spec[PARAM_KIND_COUNT] = {
        {"wte", checked_product({V, C}), true},
        {"wpe", checked_product({maxT, C}), true},
        {"ln1w", checked_product({L, C}), false},
        {"qkvw", checked_product({L, 3, C, C}), true},
        {"attprojw", checked_product({L, C, C}), true},
        {"ln2w", checked_product({L, C}), false},
        {"fcw", checked_product({L, H, C}), true},
        {"fcprojw", checked_product({L, C, H}), true},
        {"adapterw", checked_product({R, C, 2, C}), true},
        {"statenormw", R * C, false},
        {"lnfw", C, false},
        {"lmheadw", checked_product({V, C}), true},
    };
    size_t offset = 0;
    for (int k = 0; k < PARAM_KIND_COUNT; k++) {
        info[k] = {spec[k].name, offset, spec[k].size, spec[k].decay};
        if (__builtin_add_overflow(offset, spec[k].size, &offset))
            MG_THROW_HINT("the model's parameter count overflows 64 bits", "use a smaller model (see --help for the limits)");
    }
}

void gpt_layout(const ModelConfig & config, ParamInfo info[PARAM_KIND_COUNT]) { fill_layout(info, config); }

size_t gpt_count_params(const ModelConfig & config) {
    ParamInfo info[PARAM_KIND_COUNT];
    fill_layout(info, config);
    return info[PARAM_KIND_COUNT - 1].offset + info[PARAM_KIND_COUNT - 1].size;
}

// Points every Tensor view at its slice of the flat params (and grads, when enabled).
static void point_views(GPT & m) {
    const ModelConfig & c = m.config;
    const size_t C = c.embed_dim, H = c.hidden_dim;
    float * g0 = m.grads.empty() ? nullptr : m.grads.data();
    auto view = [&](ParamKind k, size_t rows, size_t cols, size_t slice = 0) {
        Tensor t;
        size_t off = m.info[k].offset + slice * rows * cols;
        t.data = m.params.data() + off;
        t.grad = g0 ? g0 + off : nullptr;
        t.rows = rows;
        t.cols = int(cols);
        return t;
    };
    m.wte = view(PARAM_WTE, c.vocab_size, C);
    m.wpe = view(PARAM_WPE, c.max_seq_len, C);
    m.lnfw = view(PARAM_LNFW, 1, C);
    m.lmheadw = view(PARAM_LMHEADW, c.vocab_size, C);
    m.adapterw = c.recurrent() ? view(PARAM_ADAPTERW, C, 2 * C) : Tensor{};
    m.statenormw = c.recurrent() ? view(PARAM_STATENORMW, 1, C) : Tensor{};
    m.layers.resize(c.num_layers);
    for (int l = 0; l < c.num_layers; l++) {
        LayerViews & L = m.layers[l];
        L.ln1w = view(PARAM_LN1W, 1, C, l);
        L.qkvw = view(PARAM_QKVW, 3 * C, C, l);
        L.attprojw = view(PARAM_ATTPROJW, C, C, l);
        L.ln2w = view(PARAM_LN2W, 1, C, l);
        L.fcw = view(PARAM_FCW, H, C, l);
        L.fcprojw = view(PARAM_FCPROJW, C, H, l);
    }
}

void gpt_build(GPT & m, const ModelConfig & config) {
    validate_config(config);
    m.config = config;
    if (!config.recurrent()) m.config.mean_passes = 1.0f, m.config.backprop_passes = 1;  // what a plain model runs
    fill_layout(m.info, config);
    m.num_params = gpt_count_params(config);
    m.params.assign(m.num_params, 0.0f);
    m.grads.clear();
    point_views(m);
}

void gpt_attach_params(GPT & m, std::vector<float> && params) {
    MG_CHECK(params.size() == m.num_params, "parameter count does not match the model config");
    m.params = std::move(params);
    point_views(m);
}

void gpt_enable_grads(GPT & m) {
    if (m.grads.size() != m.num_params) m.grads.assign(m.num_params, 0.0f);
    point_views(m);
}

void gpt_zero_grads(GPT & m) { std::memset(m.grads.data(), 0, m.grads.size() * sizeof(float)); }

void gpt_init_weights(GPT & m, uint64_t seed) {
    const ModelConfig & c = m.config;
    Rng rng(seed);
    // GPT-2: N(0, 0.02), with the projections that write into the residual stream scaled by
    // 1/sqrt(2 * depth). With recursion the depth a token sees is the unrolled one.
    float depth = float(c.prelude_layers + c.coda_layers) + float(c.core_layers()) * c.mean_passes;
    if (!c.recurrent()) depth = float(c.num_layers);
    const float std_resid = 0.02f / std::sqrt(2.0f * depth);
    for (int k = 0; k < PARAM_KIND_COUNT; k++) {
        float * p = m.params.data() + m.info[k].offset;
        size_t n = m.info[k].size;
        if (!m.info[k].decay) {  // norm gains start at one
            for (size_t i = 0; i < n; i++) p[i] = 1.0f;
            continue;
        }
        float std = (k == PARAM_ATTPROJW || k == PARAM_FCPROJW) ? std_resid : 0.02f;
        for (size_t i = 0; i < n; i++) p[i] = std * rng.normal();
    }
    if (c.recurrent()) {
        // adapter (C, 2C) = [I | I]: at init, injection is plain addition state + input
        const size_t C = c.embed_dim;
        float * a = m.params.data() + m.info[PARAM_ADAPTERW].offset;
        std::memset(a, 0, C * 2 * C * sizeof(float));
        for (size_t i = 0; i < C; i++) {
            a[i * 2 * C + i] = 1.0f;
            a[i * 2 * C + C + i] = 1.0f;
        }
    }
}

// ----------------------------------------------------------------------------
// forward

// The forward's dropout sites: each call masks with its own seed (the plan's, mixed with the
// site's number in the forward) when the plan asks for dropout; else it is the identity.
struct DropoutSites {
    float p;
    uint64_t seed;
    uint64_t next = 0;
    Tensor * operator()(Tape & tape, Tensor * x) {
        if (p <= 0.0f) return x;
        return op_dropout(tape, x, p, seed ^ (++next * 0xd1b54a32d192ed03ULL));
    }
};

// A pre-norm transformer block:
//   x = x + dropout(attprojw . attention(qkvw . rmsnorm(x)))
//   x = x + dropout(fcprojw . gelu(fcw . rmsnorm(x)))
static Tensor * block_forward(Tape & tape, LayerViews & W, Tensor * x, int B, int T, int NH, DropoutSites & drop) {
    Tensor * h = op_rmsnorm(tape, x, &W.ln1w);
    Tensor * qkv = op_matmul(tape, h, &W.qkvw);
    Tensor * a = op_attention(tape, qkv, B, T, NH);
    x = op_residual(tape, x, drop(tape, op_matmul(tape, a, &W.attprojw)));
    h = op_rmsnorm(tape, x, &W.ln2w);
    Tensor * u = op_gelu(tape, op_matmul(tape, h, &W.fcw));
    return op_residual(tape, x, drop(tape, op_matmul(tape, u, &W.fcprojw)));
}

// One recursion pass: s' = statenorm(core(adapterw . [s; e]))
static Tensor * pass_forward(GPT & m, Tape & tape, Tensor * s, Tensor * e, int B, int T, DropoutSites & drop) {
    const ModelConfig & c = m.config;
    Tensor * x = op_matmul(tape, op_concat(tape, s, e), &m.adapterw);
    for (int l = c.prelude_layers; l < c.prelude_layers + c.core_layers(); l++)
        x = block_forward(tape, m.layers[l], x, B, T, c.num_heads, drop);
    return op_rmsnorm(tape, x, &m.statenormw);
}

Tensor * gpt_forward(GPT & m, Tape & tape, const int * inp, int B, int T, const PassPlan & plan) {
    const int passes = plan.passes;
    const ModelConfig & c = m.config;
    MG_CHECK(B >= 1 && T >= 1, "gpt_forward: empty batch");
    if (T > c.max_seq_len)
        MG_THROW_HINT("sequence length " + std::to_string(T) + " exceeds the model's max_seq_len " +
                          std::to_string(c.max_seq_len),
                      "use a shorter sequence or a model with a longer context");
    MG_CHECK(passes >= 1, "passes must be at least 1");
    MG_CHECK(c.recurrent() || passes == 1, "a model without recursion (max_passes 1) runs exactly one pass");
    for (int i = 0; i < B * T; i++)
        MG_CHECK(inp[i] >= 0 && inp[i] < c.vocab_size, "token id out of the model's vocabulary");
    const int C = c.embed_dim, NH = c.num_heads;
    const size_t N = size_t(B) * T;

    MG_CHECK(plan.dropout >= 0.0f && plan.dropout < 1.0f, "dropout must be in [0, 1)");
    DropoutSites drop{plan.dropout, plan.dropout_seed};
    Tensor * x = drop(tape, op_encoder(tape, inp, B, T, &m.wte, &m.wpe));
    for (int l = 0; l < c.prelude_layers; l++) x = block_forward(tape, m.layers[l], x, B, T, NH, drop);

    Tensor * s;
    if (!c.recurrent()) {
        for (int l = c.prelude_layers; l < c.prelude_layers + c.core_layers(); l++)
            x = block_forward(tape, m.layers[l], x, B, T, NH, drop);
        s = x;
    } else {
        Tensor * e = x;  // the input re-injected on every pass
        s = tape.zeros(N, C);
        if (plan.init_state) std::memcpy(s->data, plan.init_state, N * C * sizeof(float));
        int taped = tape.recording ? std::max(1, std::min(plan.grad_passes, passes)) : 0;
        int detached = passes - taped;
        if (detached > 0) {
            // Early passes: no tape, no saved activations. Each pass's scratch memory is rewound;
            // only the state survives, in a buffer allocated before the rewind point.
            bool was_recording = tape.recording;
            tape.recording = false;
            Tensor * state = tape.new_tensor(N, C, false);
            for (int p = 0; p < detached; p++) {
                Arena::Mark mark = tape.acts.mark();
                Tensor * next = pass_forward(m, tape, s, e, B, T, drop);
                std::memcpy(state->data, next->data, N * C * sizeof(float));
                tape.acts.reset_to(mark);
                s = state;
            }
            tape.recording = was_recording;
        }
        if (plan.detached_state) std::memcpy(plan.detached_state, s->data, N * C * sizeof(float));
        for (int p = 0; p < taped; p++) s = pass_forward(m, tape, s, e, B, T, drop);
    }

    for (int l = c.prelude_layers + c.core_layers(); l < c.num_layers; l++)
        s = block_forward(tape, m.layers[l], s, B, T, NH, drop);
    Tensor * h = op_rmsnorm(tape, s, &m.lnfw);
    return op_matmul(tape, h, &m.lmheadw);
}

float gpt_forward_loss(GPT & m, Tape & tape, const int * inp, const int * targets, int B, int T,
                       const PassPlan & plan, float loss_scale) {
    Tensor * logits = gpt_forward(m, tape, inp, B, T, plan);
    return op_crossentropy(tape, logits, targets, loss_scale);
}

}  // namespace mg
