// Decoder: incremental inference with KV caches, one token at a time.
// Each core layer has one cache per pass (the state, and so K and V, differ from pass to pass);
// prelude and coda layers run once per token and have one cache each.
// Adaptive depth: after each pass the coda and head give a next-token distribution p_i; the
// passes stop once KL(p_i || p_{i-1}) < kl_threshold. A token that exits after m passes copies
// its pass-m keys and values into the later passes' caches, so tokens that run deeper still see
// it (the recurrent-depth paper's KV-sharing fallback).
#pragma once
#include <vector>

#include "model/gpt.h"

namespace mg {

class Decoder {
public:
    // max_passes bounds the passes any feed() may ask for (it sizes the caches).
    Decoder(const GPT & model, int max_passes);
    void reset() { length_ = 0; }
    int length() const { return length_; }
    int capacity() const { return model_.config.max_seq_len; }

    // Feeds the token at position length() and returns the logits (V) for the next token.
    // kl_threshold <= 0 runs exactly `passes` passes; otherwise up to `passes`, adaptively.
    const float * feed(int token, int passes, float kl_threshold, int * passes_used = nullptr);

private:
    void block(int layer, int slot, float * x, int pos);
    void head(const float * s, int pos, float * logits);  // coda + final norm + LM head
    float * k_at(int slot, int pos) { return kv_.data() + (size_t(slot) * 2 * capacity() + pos) * C_; }
    float * v_at(int slot, int pos) { return kv_.data() + ((size_t(slot) * 2 + 1) * capacity() + pos) * C_; }

    const GPT & model_;
    int C_, max_passes_, length_ = 0;
    int slot_core_, slot_coda_;  // first slot of the core (pass-major) and of the coda
    std::vector<float> kv_;      // per slot: K (maxT, C) then V (maxT, C)
    std::vector<float> x_, e_, s_, cat_, h_, qkv_, att_, proj_, fc_, act_, tmp_, logits_, probs_, prev_probs_;
};

}  // namespace mg
