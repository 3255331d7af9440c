// Trainer: one optimizer step at a time, so callers (the CLI loop, the Node binding's worker)
// decide when to log, save, pause or stop.
//   step: sample passes -> for each micro-batch: forward, backward (grads accumulate)
//         -> clip -> AdamW -> val loss when due
// The data split is fixed: the last val_fraction of the tokens is validation. Batches are random
// windows of the training part (with line_sequences, random whole lines, one per row), drawn from an Rng whose state the checkpoint carries, so a
// resumed run continues the exact sequence of batches and passes.
#pragma once
#include <chrono>
#include <cstdint>
#include <vector>

#include "autograd/tape.h"
#include "core/rng.h"
#include "data/line-split.h"
#include "model/gpt.h"
#include "train/config.h"

namespace mg {

// What a checkpoint stores to resume a run exactly.
struct TrainState {
    TrainConfig config;
    int step = 0;                 // optimizer steps completed
    Rng rng{0};                   // batch and pass sampling
    uint64_t data_hash = 0;       // fingerprint of the token ids the run trains on
    uint64_t data_tokens = 0;
    std::vector<float> m, v;      // AdamW moments, in the flat parameter layout
};

struct StepStats {
    int step = 0;                 // steps completed, after this one
    int steps = 0;                // the run's total
    int passes = 1;               // recursion passes sampled for this step
    float train_loss = 0;         // mean over the step's micro-batches
    float val_loss = -1;          // < 0 when not evaluated this step
    float lr = 0;
    float grad_norm = 0;          // before clipping
    double tokens_per_sec = 0;    // this step
    double train_seconds = 0;     // this step's forward, backward and update
    double eval_seconds = 0;      // its evaluation; 0 when none
    double eta_seconds = 0;       // the rest of the run, evaluations included (EtaEstimator)
};

// The time a run has left, steady across evaluations: the pace of training steps (a moving
// average of their seconds, evaluations excluded) times the steps left, plus the evaluations
// left times the seconds one takes (measured; before the first one, estimated from the pace).
// An average of whole steps, evaluations included, jumps at every evaluation instead.
class EtaEstimator {
public:
    void add_step(double train_seconds);
    void add_eval(double seconds);
    // after `step` of the run's steps, with evaluations as `config` schedules them
    double eta(const TrainConfig & config, int step) const;
    double step_seconds() const { return step_; }
    double eval_seconds(const TrainConfig & config) const;  // measured, or estimated

private:
    double step_ = 0, eval_ = 0;
    int steps_seen_ = 0, evals_seen_ = 0;
};

// Evaluations still to come after `step`: every eval_interval steps, and at the last step.
int evals_left(const TrainConfig & config, int step);

uint64_t data_fingerprint(const std::vector<int> & tokens);

// Where the validation split of n tokens starts for sequences of T: the last val_fraction of the
// tokens, and at least one window (T + 1 tokens). The trainer and the whole-split evaluation
// (eval/evaluate.h) both cut the data here. 0 when the data is shorter than one window.
size_t val_split_begin(size_t n, int T, float val_fraction);
// The same, moved back to the start of its line when line_end >= 0 (split_lines: the val split
// is whole lines).
size_t val_split_begin(const std::vector<int> & tokens, int T, float val_fraction, int line_end);

class Trainer {
public:
    // Starts a fresh run on `tokens`; the model must already hold its initial weights. With
    // config.split_lines, `tokens` are already in shuffle_lines order and line_end is the newline's id.
    Trainer(GPT & model, const TrainConfig & config, const std::vector<int> & tokens, int line_end = -1);
    // Continues a saved run. Throws if the data is not the data the run was trained on.
    Trainer(GPT & model, TrainState state, const std::vector<int> & tokens, int line_end = -1);

    StepStats step();
    float evaluate();             // mean val loss at the model's default passes
    bool done() const { return state_.step >= state_.config.steps; }
    const TrainState & state() const { return state_; }
    const TrainConfig & config() const { return state_.config; }
    int seq_len() const { return T_; }
    size_t train_tokens() const { return n_train_; }
    size_t val_tokens() const { return tokens_.size() - n_train_; }
    size_t heap_allocs() const { return tape_.heap_allocs(); }
    size_t activation_bytes() const { return tape_.bytes_reserved(); }
    // the most bytes the activation and gradient arenas ever held at once
    size_t activation_high_water() const { return tape_.acts.high_water() + tape_.grads.high_water(); }

private:
    void setup();
    int sample_passes();
    void load_batch(size_t offset_base, bool random);

    GPT & model_;
    TrainState state_;
    const std::vector<int> & tokens_;
    int line_end_ = -1;
    size_t n_train_ = 0;
    std::vector<size_t> train_lines_, val_lines_;  // line_sequences: where each split's lines start
    int T_ = 0;
    Tape tape_;
    std::vector<int> inp_, tgt_;
    EtaEstimator eta_;
};

}  // namespace mg
