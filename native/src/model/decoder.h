// Decoder: incremental inference with KV caches, one token at a time.
// Each core layer has one cache per pass (the state, and so K and V, differ from pass to pass);
// prelude and coda layers run once per token and have one cache each.
// Adaptive depth: after each pass the coda and head give a next-token distribution p_i; the
// passes stop once KL(p_i || p_{i-1}) < kl_threshold. A token that exits after m passes copies
// its pass-m keys and values into the later passes' caches, so tokens that run deeper still see
// it (the recurrent-depth paper's KV-sharing fallback).
// Threads: a token runs in one OpenMP region. Each thread owns a fixed share of every layer's
// output rows (and of the heads), so it reads the same weight rows token after token, from its
// own core's cache; the threads meet at a barrier wherever the next op needs a whole vector.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/gpt.h"

namespace mg {

// How the decoder holds the weight matrices. At batch 1 every token streams all of them, so the
// decoder is bound by memory bandwidth: fp16 halves the bytes. Arithmetic is fp32 either way
// (a half widens to a float exactly); only the weights are rounded, once, to 11 significant bits.
enum class DecodeWeights { fp32, fp16 };
const char * decode_weights_name(DecodeWeights w);
DecodeWeights decode_weights_from_name(const std::string & name);  // "fp32" or "fp16", else throws

class Decoder {
public:
    // max_passes bounds the passes any feed() may ask for (it sizes the caches). fp16 weights are
    // converted here, once (the model must outlive the decoder and not change under it).
    Decoder(const GPT & model, int max_passes, DecodeWeights weights = DecodeWeights::fp32);
    void reset() { length_ = 0; }
    int length() const { return length_; }
    int capacity() const { return model_.config.max_seq_len; }
    DecodeWeights weights() const { return w16_.empty() ? DecodeWeights::fp32 : DecodeWeights::fp16; }
    int threads() const { return threads_; }  // a token's region: all threads, or 1 for a small model

    // Feeds the token at position length() and returns the logits (V) for the next token.
    // kl_threshold <= 0 runs exactly `passes` passes; otherwise up to `passes`, adaptively.
    const float * feed(int token, int passes, float kl_threshold, int * passes_used = nullptr);

    struct Team { int t, nth; };  // a thread's index in the token's region, and the region's size
    struct Rows { int b, e; };    // a thread's output rows [b, e)

private:
    // A weight matrix (OC,IC) as the decoder reads it: the model's fp32 rows, or fp16 row panels
    // at off16 in w16_ (see kernels/ref/matvec.cpp).
    struct Matrix { const float * w32; size_t off16; int IC, OC; };
    struct Layer { Matrix q, k, v, attproj, fc, fcproj; };
    // These run on every thread of the region, each doing its share.
    void run(const Team & tm, int pos, int passes, bool adaptive, float kl_threshold);
    void block(const Team & tm, int layer, int slot, float * x, int pos);
    void head(const Team & tm, const float * s, int pos);  // coda + final norm + LM head -> logits_
    Rows rows(const Team & tm, int OC) const;  // this thread's share of a matrix's rows
    void linear(const Team & tm, float * out, const float * inp, const Matrix & m);
    float * k_at(int slot, int pos) { return kv_.data() + (size_t(slot) * 2 * capacity() + pos) * C_; }
    float * v_at(int slot, int pos) { return kv_.data() + ((size_t(slot) * 2 + 1) * capacity() + pos) * C_; }

    const GPT & model_;
    std::vector<Layer> layers_;
    Matrix adapter_{}, lmhead_{};
    std::vector<uint16_t> w16_;  // fp16 weights: every matrix's row panels; empty for fp32
    int C_, max_passes_, length_ = 0, threads_;
    int slot_core_, slot_coda_;  // first slot of the core (pass-major) and of the coda
    int used_ = 1;               // passes the current token ran
    bool converged_ = false;     // adaptive: the passes stopped moving the distribution
    std::vector<float> kv_;      // per slot: K (maxT, C) then V (maxT, C)
    std::vector<float> norm_;    // per thread: its copy of the normed row (C)
    std::vector<float> x_, cat_, q_, att_, proj_, fc_, act_, tmp_, logits_, probs_, prev_probs_;
};

}  // namespace mg
