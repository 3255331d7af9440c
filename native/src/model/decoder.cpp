#include "model/decoder.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/dispatch.h"

namespace mg {

const char * decode_weights_name(DecodeWeights w) { return w == DecodeWeights::fp16 ? "fp16" : "fp32"; }

DecodeWeights decode_weights_from_name(const std::string & name) {
    if (name == "fp32") return DecodeWeights::fp32;
    if (name == "fp16") return DecodeWeights::fp16;
    MG_THROW_HINT("unknown weight format '" + name + "'",
                  "use fp16 (half the memory traffic, the default) or fp32 (the trained weights exactly)");
}

// A fork and a barrier cost about 0.6 and 0.3 us; below this many weights per token a single
// thread finishes first.
static constexpr size_t kDecodeParallelParams = 200000;

Decoder::Decoder(const GPT & model, int max_passes, DecodeWeights weights) : model_(model) {
    const ModelConfig & c = model.config;
    MG_CHECK(max_passes >= 1, "the decoder needs at least one pass");
    max_passes_ = c.recurrent() ? max_passes : 1;
    C_ = c.embed_dim;
    slot_core_ = c.prelude_layers;
    slot_coda_ = slot_core_ + c.core_layers() * max_passes_;
    int slots = slot_coda_ + c.coda_layers;
    kv_.assign(size_t(slots) * 2 * c.max_seq_len * C_, 0.0f);
    threads_ = model.num_params >= kDecodeParallelParams ? omp_get_max_threads() : 1;
    norm_.assign(size_t(threads_) * C_, 0.0f);
    for (auto * b : {&x_, &q_, &att_, &proj_, &tmp_}) b->assign(C_, 0.0f);
    cat_.assign(2 * C_, 0.0f);
    fc_.assign(c.hidden_dim, 0.0f);
    act_.assign(c.hidden_dim, 0.0f);
    for (auto * b : {&logits_, &probs_, &prev_probs_}) b->assign(c.vocab_size, 0.0f);

    // the matrices, q, k and v apart (k and v rows go straight into the cache)
    std::vector<Matrix *> all;
    const int C = C_, H = c.hidden_dim;
    layers_.resize(c.num_layers);
    for (int l = 0; l < c.num_layers; l++) {
        const LayerViews & L = model.layers[l];
        Layer & d = layers_[l];
        d.q = {L.qkvw.data, 0, C, C};
        d.k = {L.qkvw.data + size_t(C) * C, 0, C, C};
        d.v = {L.qkvw.data + size_t(2) * C * C, 0, C, C};
        d.attproj = {L.attprojw.data, 0, C, C};
        d.fc = {L.fcw.data, 0, C, H};
        d.fcproj = {L.fcprojw.data, 0, H, C};
        for (Matrix * m : {&d.q, &d.k, &d.v, &d.attproj, &d.fc, &d.fcproj}) all.push_back(m);
    }
    if (c.recurrent()) adapter_ = {model.adapterw.data, 0, 2 * C, C}, all.push_back(&adapter_);
    lmhead_ = {model.lmheadw.data, 0, C, c.vocab_size};
    all.push_back(&lmhead_);
    if (weights == DecodeWeights::fp16) {  // convert (SIMD), then lay out in row panels
        size_t total = 0, largest = 0;
        for (Matrix * m : all) {
            m->off16 = total;
            total += matvec_f16_packed_size(m->IC, m->OC);
            largest = std::max(largest, size_t(m->IC) * m->OC);
        }
        w16_.resize(total);
        std::vector<uint16_t> rows16(largest);
        for (const Matrix * m : all) {
            f16_from_f32(rows16.data(), m->w32, size_t(m->IC) * m->OC);
            matvec_pack_f16(w16_.data() + m->off16, rows16.data(), m->IC, m->OC);
        }
    }
}

// A thread's share [b, e) of n items: contiguous and the same every token.
static void share(int n, const Decoder::Team & tm, int * b, int * e) {
    *b = int(int64_t(n) * tm.t / tm.nth);
    *e = int(int64_t(n) * (tm.t + 1) / tm.nth);
}

// fp16 rows go in whole panels, so a thread's rows are a packed matrix of their own
Decoder::Rows Decoder::rows(const Team & tm, int OC) const {
    Rows r;
    if (w16_.empty()) {
        share(OC, tm, &r.b, &r.e);
        return r;
    }
    share((OC + kMatvecPanel - 1) / kMatvecPanel, tm, &r.b, &r.e);
    r.b = std::min(OC, r.b * kMatvecPanel), r.e = std::min(OC, r.e * kMatvecPanel);
    return r;
}

// out (OC) = m (OC,IC) . inp (IC), this thread's rows
void Decoder::linear(const Team & tm, float * out, const float * inp, const Matrix & m) {
    const Rows r = rows(tm, m.OC);
    if (r.b == r.e) return;
    if (w16_.empty()) {
        matvec_forward(out + r.b, inp, m.w32 + size_t(r.b) * m.IC, m.IC, r.e - r.b);
    } else {
        const size_t row_halves = (size_t(m.IC) + kMatvecPanel - 1) / kMatvecPanel * kMatvecPanel;
        matvec_forward_f16(out + r.b, inp, w16_.data() + m.off16 + size_t(r.b) * row_halves, m.IC, r.e - r.b);
    }
}

// The training forward's block_forward for a single row at position pos, appending K and V.
// x (C) is shared; on return every thread sees the block's output in it.
void Decoder::block(const Team & tm, int layer, int slot, float * x, int pos) {
    const Layer & d = layers_[layer];
    const LayerViews & L = model_.layers[layer];
    const int C = C_, NH = model_.config.num_heads;
    float * h = norm_.data() + size_t(tm.t) * C;  // each thread norms the row itself: cheaper than a barrier
    const Rows rc = rows(tm, C), rh = rows(tm, d.fc.OC);  // this thread's rows of C- and H-wide outputs
    int h0, h1;
    share(NH, tm, &h0, &h1);
    rmsnorm_forward(h, nullptr, x, L.ln1w.data, 1, C);
    linear(tm, q_.data(), h, d.q);
    linear(tm, k_at(slot, pos), h, d.k);
    linear(tm, v_at(slot, pos), h, d.v);
#pragma omp barrier
    attention_decode(att_.data(), q_.data(), k_at(slot, 0), v_at(slot, 0), pos + 1, C, NH, h0, h1);
#pragma omp barrier
    linear(tm, proj_.data(), att_.data(), d.attproj);
    residual_forward(x + rc.b, x + rc.b, proj_.data() + rc.b, rc.e - rc.b);
#pragma omp barrier
    rmsnorm_forward(h, nullptr, x, L.ln2w.data, 1, C);
    linear(tm, fc_.data(), h, d.fc);
    gelu_forward(act_.data() + rh.b, fc_.data() + rh.b, rh.e - rh.b);
#pragma omp barrier
    linear(tm, proj_.data(), act_.data(), d.fcproj);
    residual_forward(x + rc.b, x + rc.b, proj_.data() + rc.b, rc.e - rc.b);
#pragma omp barrier
}

void Decoder::head(const Team & tm, const float * s, int pos) {
    const ModelConfig & c = model_.config;
    if (c.coda_layers > 0) {  // the coda must not overwrite the state: the next pass reads it
#pragma omp single
        std::memcpy(tmp_.data(), s, C_ * sizeof(float));
        for (int j = 0; j < c.coda_layers; j++)
            block(tm, c.prelude_layers + c.core_layers() + j, slot_coda_ + j, tmp_.data(), pos);
        s = tmp_.data();
    }
    float * h = norm_.data() + size_t(tm.t) * C_;
    rmsnorm_forward(h, nullptr, s, model_.lnfw.data, 1, C_);
    linear(tm, logits_.data(), h, lmhead_);
#pragma omp barrier
}

static void softmax(float * p, const float * z, int V) {
    float maxv = z[0];
    for (int i = 1; i < V; i++) maxv = z[i] > maxv ? z[i] : maxv;
    double sum = 0;
    for (int i = 0; i < V; i++) sum += (p[i] = std::exp(z[i] - maxv));
    for (int i = 0; i < V; i++) p[i] = float(p[i] / sum);
}

// KL(p || q) = sum p log(p / q)
static double kl_divergence(const float * p, const float * q, int V) {
    double kl = 0;
    for (int i = 0; i < V; i++)
        if (p[i] > 0) kl += double(p[i]) * (std::log(double(p[i])) - std::log(std::max(double(q[i]), 1e-30)));
    return kl;
}

// The whole token on every thread of the region; the small serial steps run in `single`.
void Decoder::run(const Team & tm, int pos, int passes, bool adaptive, float kl_threshold) {
    const ModelConfig & c = model_.config;
    const int C = C_;
    for (int l = 0; l < c.prelude_layers; l++) block(tm, l, l, x_.data(), pos);
    if (!c.recurrent()) {
        for (int j = 0; j < c.core_layers(); j++) block(tm, c.prelude_layers + j, slot_core_ + j, x_.data(), pos);
        head(tm, x_.data(), pos);
        return;
    }
    float * s = cat_.data();  // the adapter reads [state; input] = cat_ (2C)
#pragma omp single
    {
        std::memcpy(cat_.data() + C, x_.data(), C * sizeof(float));
        std::fill(s, s + C, 0.0f);
    }
    for (int p = 0; p < passes; p++) {
        linear(tm, x_.data(), cat_.data(), adapter_);
#pragma omp barrier
        for (int j = 0; j < c.core_layers(); j++)
            block(tm, c.prelude_layers + j, slot_core_ + p * c.core_layers() + j, x_.data(), pos);
#pragma omp single
        {
            rmsnorm_forward(s, nullptr, x_.data(), model_.statenormw.data, 1, C);
            used_ = p + 1;
        }
        if (!adaptive) continue;
        head(tm, s, pos);
#pragma omp single
        {
            softmax(probs_.data(), logits_.data(), c.vocab_size);
            converged_ = p > 0 && kl_divergence(probs_.data(), prev_probs_.data(), c.vocab_size) < kl_threshold;
            std::swap(probs_, prev_probs_);
        }
        if (converged_) break;  // every thread reads the same flag after the single's barrier
    }
    if (!adaptive) head(tm, s, pos);
}

const float * Decoder::feed(int token, int passes, float kl_threshold, int * passes_used) {
    const ModelConfig & c = model_.config;
    const int pos = length_;
    MG_CHECK(pos < capacity(), "decoder context is full; reset it and feed the last tokens again");
    MG_CHECK(token >= 0 && token < c.vocab_size, "token id out of the model's vocabulary");
    if (!c.recurrent() && passes != 1)
        MG_THROW_HINT("this model was trained without recursion (max_passes 1), so it runs exactly one pass",
                      "use --passes 1, or train with --max_passes above 1");
    if (passes < 1 || passes > max_passes_)
        MG_THROW_HINT("passes must be in [1, " + std::to_string(max_passes_) + "] (got " + std::to_string(passes) + ")",
                      "choose fewer passes");
    const int C = C_;
    const float * wte = model_.wte.data + size_t(token) * C;
    const float * wpe = model_.wpe.data + size_t(pos) * C;
    for (int i = 0; i < C; i++) x_[i] = wte[i] + wpe[i];
    used_ = 1;
    const bool adaptive = c.recurrent() && kl_threshold > 0 && passes > 1;
    // one region for the whole token: ~20 barriers instead of a fork per matvec and an inactive
    // nested region per small op (at 8gb that overhead was a quarter of the token)
#pragma omp parallel num_threads(threads_) if (threads_ > 1)
    run(Team{omp_get_thread_num(), omp_get_num_threads()}, pos, passes, adaptive, kl_threshold);

    // later passes' caches get this token's last keys and values
    if (c.recurrent())
        for (int p = used_; p < max_passes_; p++)
            for (int j = 0; j < c.core_layers(); j++) {
                int from = slot_core_ + (used_ - 1) * c.core_layers() + j, to = slot_core_ + p * c.core_layers() + j;
                std::memcpy(k_at(to, pos), k_at(from, pos), C * sizeof(float));
                std::memcpy(v_at(to, pos), v_at(from, pos), C * sizeof(float));
            }
    length_++;
    if (passes_used) *passes_used = used_;
    return logits_.data();
}

}  // namespace mg
