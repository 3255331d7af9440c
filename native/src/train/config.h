// TrainConfig: everything that shapes a training run. It is saved with the training state, so
// resuming a run uses exactly the settings that started it.
#pragma once
#include <cstdint>

namespace mg {

struct TrainConfig {
    int steps = 2000;          // optimizer steps in the run: the cosine schedule's horizon
    int batch_size = 16;       // sequences per micro-batch
    int seq_len = 0;           // tokens per sequence; 0 = the model's max_seq_len
    int grad_accum = 1;        // micro-batches per optimizer step
    float lr = 1e-3f;          // peak learning rate
    float min_lr = 1e-4f;      // learning rate at the end of the cosine
    int warmup_steps = 100;    // linear warmup from 0 to lr
    float weight_decay = 0.1f; // decoupled (AdamW), on matrices and embeddings only
    float beta1 = 0.9f;
    float beta2 = 0.99f;
    float adam_eps = 1e-8f;
    float grad_clip = 1.0f;    // global gradient-norm clip; 0 = off
    float dropout = 0.0f;      // on the embeddings and every residual branch while training (model/gpt.h PassPlan)
    int eval_interval = 100;   // val loss every N steps (and at the last step); 0 = only at the end
    int eval_batches = 8;      // batches of the val split per evaluation
    float val_fraction = 0.1f; // the tail of the data held out for validation
    bool split_lines = false;  // hold out whole lines chosen with the seed instead (data/line-split.h)
    // each line its own sequence (needs split_lines): a batch row is one line from position 0,
    // after a line_end token, padded with ignored targets, as makemore trains on names; else
    // rows are windows at random offsets across line breaks. seq_len 0 then means the longest line.
    bool line_sequences = false;
    uint64_t seed = 1337;      // initialisation, batch sampling and pass sampling
};

void validate_train_config(const TrainConfig & config);  // throws mg::error with a hint

}  // namespace mg
