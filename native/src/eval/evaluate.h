// Whole-split evaluation: the mean cross-entropy (nats) and bits per character of a model over
// every token of a text's validation split (the trainer's split: train/trainer.h
// val_split_begin) or of a whole text, for the CLI (--eval) and the app's addon (evaluate()),
// which only translate arguments in and the result out.
//
// Windows: the span's targets are cut into consecutive non-overlapping windows of seq_len
// tokens (the last one shorter), each read from its own start, so every target token of the
// span is predicted exactly once and the same span always gives the same windows. A window's
// first targets see little context; this is the standard non-overlapping estimate, a little
// above what a sliding window would give.
// Fixed passes: the windows go through gpt_forward in batches of batch_size, without a tape or
// gradients, into an arena reserved at its planned size (train/memory-plan.h).
// Adaptive: each window goes through the KV-cache Decoder (fp32 weights) token by token,
// exactly as generation runs --adaptive: a token's passes stop once KL to the previous pass is
// below kl_threshold. The windows are split over the threads, one single-threaded decoder each.
// Every window's loss is summed in one order and the windows in order, so the result is the
// same at any thread count.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/gpt.h"

namespace mg {

struct EvalConfig {
    int passes = 0;            // core passes per token (adaptive: the most); 0 = the model's default
    bool adaptive = false;     // stop a token's passes once its next-token distribution settles
    float kl_threshold = 1e-3f;
    int batch_size = 16;       // windows per forward (fixed passes)
    int seq_len = 0;           // window length; 0 = the model's max_seq_len
};

struct EvalResult {
    size_t tokens = 0;         // target tokens evaluated, each once
    size_t windows = 0;
    int seq_len = 0;           // the window length used
    int passes = 0;            // passes per token (adaptive: the most)
    bool adaptive = false;
    double loss = 0;           // mean cross-entropy, nats per token
    double bits_per_char = 0;  // loss / ln 2 (a token is a character; a chat marker counts as one)
    double mean_passes = 0;    // passes per token actually run
    double seconds = 0;        // the evaluation itself (not loading or tokenizing)
    double tokens_per_sec = 0;
    double ms_per_token = 0;
};

// Checks the config against the model (mg::error, code BAD_REQUEST) and resolves passes and
// seq_len to what the evaluation will use.
EvalConfig resolve_eval_config(const EvalConfig & config, const ModelConfig & model);

// Evaluates the targets tokens[begin + 1 .. end), each predicted from the tokens before it in its
// window. With line_end >= 0 each line of the span is its own sequence instead (the trainer's
// line_sequences): read from the line_end before it, so every token of the span is a target
// predicted from its own line alone. `cancel`, when set, is polled between batches (windows,
// when adaptive); once it is true the evaluation throws mg::error with code CANCELLED.
EvalResult evaluate_tokens(GPT & model, const std::vector<int> & tokens, size_t begin, size_t end,
                           const EvalConfig & config, const std::atomic<bool> * cancel = nullptr, int line_end = -1);

// ----------------------------------------------------------------------------
// one evaluation job, from files

enum class EvalSplit { val, all };  // the validation split, or the whole text
const char * eval_split_name(EvalSplit s);
EvalSplit eval_split_from_name(const std::string & name);  // "val" or "all", else BAD_REQUEST

struct EvalRequest {
    std::string checkpoint_path, data_path;
    EvalSplit split = EvalSplit::val;
    std::optional<float> val_fraction;  // default: the checkpoint's run's, else 0.1
    EvalConfig config;                  // seq_len 0: the run's training length, else max_seq_len
};

struct EvalReport {
    EvalResult result;
    ModelConfig model;
    size_t data_tokens = 0;             // the whole text
    size_t split_begin = 0, split_end = 0;
    float val_fraction = 0;             // the split's (val)
    int split_seq_len = 0;              // the sequence length the split was cut for
    bool split_lines = false;           // the val split is whole lines, in the run's seeded order
    bool line_sequences = false;        // each line evaluated as its own sequence, as the run trained
    // whether the text is the one the checkpoint's run trained on (its fingerprint): then the
    // val split is the run's held-out part. Unknown for a checkpoint without training state.
    std::optional<bool> data_is_training_data;
};

// Loads the checkpoint, reads and tokenizes the text (the training tokenization: chat markers
// are their special tokens), cuts the split and evaluates it. Throws mg::error: the reader's
// codes, BAD_REQUEST for a config the model cannot run or an empty split, OUT_OF_MEMORY for a
// batch that does not fit, CANCELLED.
EvalReport run_evaluation(const EvalRequest & request, const std::atomic<bool> * cancel = nullptr);

}  // namespace mg
