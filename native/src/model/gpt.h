// GPT: parameters in one flat block (llm.c style) and the training/eval forward on a Tape.
// Legend: B = batch, T = sequence length, C = embed_dim, L = num_layers, H = hidden_dim, V = vocab.
// Layers are stacked along L in run order: prelude layers, then the shared core, then the coda.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "autograd/tape.h"
#include "model/config.h"

namespace mg {

enum ParamKind {
    PARAM_WTE,         // (V, C)      token embedding
    PARAM_WPE,         // (maxT, C)   position embedding
    PARAM_LN1W,        // (L, C)      pre-attention RMSNorm gain
    PARAM_QKVW,        // (L, 3C, C)
    PARAM_ATTPROJW,    // (L, C, C)
    PARAM_LN2W,        // (L, C)      pre-MLP RMSNorm gain
    PARAM_FCW,         // (L, H, C)
    PARAM_FCPROJW,     // (L, C, H)
    PARAM_ADAPTERW,    // (C, 2C)     recursion input injection on [state; input]; empty without recursion
    PARAM_STATENORMW,  // (C)         RMSNorm gain on the state after each pass; empty without recursion
    PARAM_LNFW,        // (C)         final RMSNorm gain
    PARAM_LMHEADW,     // (V, C)
    PARAM_KIND_COUNT,
};

struct ParamInfo {
    const char * name;
    size_t offset, size;
    bool decay;  // AdamW weight decay applies to matrices and embeddings, not to norm gains
};

struct LayerViews { Tensor ln1w, qkvw, attprojw, ln2w, fcw, fcprojw; };

struct GPT {
    ModelConfig config;
    ParamInfo info[PARAM_KIND_COUNT];
    size_t num_params = 0;
    std::vector<float> params;  // the flat block; AdamW state and checkpoints use the same layout
    std::vector<float> grads;   // empty until gpt_enable_grads (inference needs none)
    // views of the flat blocks for the tape
    Tensor wte, wpe, adapterw, statenormw, lnfw, lmheadw;
    std::vector<LayerViews> layers;
};

void gpt_build(GPT & model, const ModelConfig & config);  // validates, allocates, zero weights
void gpt_init_weights(GPT & model, uint64_t seed);        // GPT-2 style random init
void gpt_attach_params(GPT & model, std::vector<float> && params);  // e.g. from a checkpoint
void gpt_enable_grads(GPT & model);
void gpt_zero_grads(GPT & model);
// The flat layout and its size, computed with overflow checks: a config whose count does not fit
// in 64 bits throws mg::error instead of wrapping.
void gpt_layout(const ModelConfig & config, ParamInfo info[PARAM_KIND_COUNT]);
size_t gpt_count_params(const ModelConfig & config);

// How the recursion runs in one forward.
struct PassPlan {
    int passes = 1;       // core passes (1 for a model without recursion)
    int grad_passes = 1;  // while recording, only the last grad_passes passes go on the tape;
                          // the earlier ones run detached (truncated backprop through depth)
    const float * init_state = nullptr;  // (B*T, C) state entering the first pass; zeros when null
    float * detached_state = nullptr;    // if set, receives (B*T, C) the state after the detached passes
    // Training only (the trainer's step sets it; evaluation and inference never do): dropout with
    // this probability on the embeddings and on each block's two residual branches, the masks
    // drawn from dropout_seed and each site's order in the forward.
    float dropout = 0;
    uint64_t dropout_seed = 0;
};

// Runs the model over inp (B,T) and returns the logits (B*T, V) on the tape.
Tensor * gpt_forward(GPT & model, Tape & tape, const int * inp, int B, int T, const PassPlan & plan);

// Mean cross-entropy of predicting targets (B,T); records the loss when the tape records.
float gpt_forward_loss(GPT & model, Tape & tape, const int * inp, const int * targets, int B, int T,
                       const PassPlan & plan, float loss_scale);

}  // namespace mg
