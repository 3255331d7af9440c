#include "model/decoder.h"

#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/dispatch.h"

namespace mg {

Decoder::Decoder(const GPT & model, int max_passes) : model_(model) {
    const ModelConfig & c = model.config;
    MG_CHECK(max_passes >= 1, "the decoder needs at least one pass");
    max_passes_ = c.recurrent() ? max_passes : 1;
    C_ = c.embed_dim;
    slot_core_ = c.prelude_layers;
    slot_coda_ = slot_core_ + c.core_layers() * max_passes_;
    int slots = slot_coda_ + c.coda_layers;
    kv_.assign(size_t(slots) * 2 * c.max_seq_len * C_, 0.0f);
    for (auto * b : {&x_, &e_, &s_, &h_, &att_, &proj_, &tmp_}) b->assign(C_, 0.0f);
    cat_.assign(2 * C_, 0.0f);
    qkv_.assign(3 * C_, 0.0f);
    fc_.assign(c.hidden_dim, 0.0f);
    act_.assign(c.hidden_dim, 0.0f);
    for (auto * b : {&logits_, &probs_, &prev_probs_}) b->assign(c.vocab_size, 0.0f);
}

// The training forward's block_forward for a single row at position pos, appending K and V.
void Decoder::block(int layer, int slot, float * x, int pos) {
    const LayerViews & L = model_.layers[layer];
    const int C = C_, H = model_.config.hidden_dim, NH = model_.config.num_heads;
    rmsnorm_forward(h_.data(), nullptr, x, L.ln1w.data, 1, C);
    matmul_forward(qkv_.data(), h_.data(), L.qkvw.data, 1, C, 3 * C);
    std::memcpy(k_at(slot, pos), qkv_.data() + C, C * sizeof(float));
    std::memcpy(v_at(slot, pos), qkv_.data() + 2 * C, C * sizeof(float));
    attention_decode(att_.data(), qkv_.data(), k_at(slot, 0), v_at(slot, 0), pos + 1, C, NH);
    matmul_forward(proj_.data(), att_.data(), L.attprojw.data, 1, C, C);
    residual_forward(x, x, proj_.data(), C);
    rmsnorm_forward(h_.data(), nullptr, x, L.ln2w.data, 1, C);
    matmul_forward(fc_.data(), h_.data(), L.fcw.data, 1, C, H);
    gelu_forward(act_.data(), fc_.data(), H);
    matmul_forward(proj_.data(), act_.data(), L.fcprojw.data, 1, H, C);
    residual_forward(x, x, proj_.data(), C);
}

void Decoder::head(const float * s, int pos, float * logits) {
    const ModelConfig & c = model_.config;
    std::memcpy(tmp_.data(), s, C_ * sizeof(float));
    for (int j = 0; j < c.coda_layers; j++) block(c.prelude_layers + c.core_layers() + j, slot_coda_ + j, tmp_.data(), pos);
    rmsnorm_forward(h_.data(), nullptr, tmp_.data(), model_.lnfw.data, 1, C_);
    matmul_forward(logits, h_.data(), model_.lmheadw.data, 1, C_, c.vocab_size);
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
    for (int l = 0; l < c.prelude_layers; l++) block(l, l, x_.data(), pos);

    int used = 1;
    bool have_logits = false;
    if (!c.recurrent()) {
        for (int j = 0; j < c.core_layers(); j++) block(c.prelude_layers + j, slot_core_ + j, x_.data(), pos);
        s_ = x_;
    } else {
        e_ = x_;
        std::fill(s_.begin(), s_.end(), 0.0f);
        const bool adaptive = kl_threshold > 0 && passes > 1;
        for (int p = 0; p < passes; p++) {
            std::memcpy(cat_.data(), s_.data(), C * sizeof(float));
            std::memcpy(cat_.data() + C, e_.data(), C * sizeof(float));
            matmul_forward(x_.data(), cat_.data(), model_.adapterw.data, 1, 2 * C, C);
            for (int j = 0; j < c.core_layers(); j++)
                block(c.prelude_layers + j, slot_core_ + p * c.core_layers() + j, x_.data(), pos);
            rmsnorm_forward(s_.data(), nullptr, x_.data(), model_.statenormw.data, 1, C);
            used = p + 1;
            if (!adaptive) continue;
            head(s_.data(), pos, logits_.data());
            have_logits = true;
            softmax(probs_.data(), logits_.data(), c.vocab_size);
            bool converged = p > 0 && kl_divergence(probs_.data(), prev_probs_.data(), c.vocab_size) < kl_threshold;
            std::swap(probs_, prev_probs_);
            if (converged) break;
        }
        // later passes' caches get this token's last keys and values
        for (int p = used; p < max_passes_; p++)
            for (int j = 0; j < c.core_layers(); j++) {
                int from = slot_core_ + (used - 1) * c.core_layers() + j, to = slot_core_ + p * c.core_layers() + j;
                std::memcpy(k_at(to, pos), k_at(from, pos), C * sizeof(float));
                std::memcpy(v_at(to, pos), v_at(from, pos), C * sizeof(float));
            }
    }
    if (!have_logits) head(s_.data(), pos, logits_.data());
    length_++;
    if (passes_used) *passes_used = used;
    return logits_.data();
}

}  // namespace mg
