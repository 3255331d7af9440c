// The bounds of every integer field of a model and of a training run, written once. The CLI's
// flag parser, the Node binding's request checks and the validation of values read from a
// checkpoint all use these, so a file can never hold what the command line would refuse.
// The bounds keep every size the engine computes from them far inside 64 bits (parameter
// counts are still computed with overflow checks), and reject values whose only effect would be
// an allocation no machine has or a run that never ends.
#pragma once
#include <climits>
#include <string>

namespace mg {

struct FieldLimit {
    const char * name;  // the snake_case name of the field and of its CLI flag
    long min, max;
};

namespace limits {
// model. vocab_size counts the 3 special tokens plus every Unicode scalar value at most.
inline constexpr FieldLimit vocab_size{"vocab_size", 1, 3 + 0x110000 - 0x800};
inline constexpr FieldLimit embed_dim{"embed_dim", 1, 8192};
inline constexpr FieldLimit num_layers{"num_layers", 1, 256};
inline constexpr FieldLimit num_heads{"num_heads", 1, 256};
inline constexpr FieldLimit max_seq_len{"max_seq_len", 1, 4096};
inline constexpr FieldLimit hidden_dim{"hidden_dim", 1, 65536};
inline constexpr FieldLimit prelude_layers{"prelude_layers", 0, 255};
inline constexpr FieldLimit coda_layers{"coda_layers", 0, 255};
inline constexpr FieldLimit max_passes{"max_passes", 1, 64};
inline constexpr FieldLimit backprop_passes{"backprop_passes", 1, 64};
inline constexpr double kMaxMeanPasses = 64;
// training
inline constexpr FieldLimit steps{"steps", 1, INT_MAX};
inline constexpr FieldLimit batch_size{"batch_size", 1, 65536};
inline constexpr FieldLimit seq_len{"seq_len", 0, 4096};  // 0 = the model's max_seq_len
inline constexpr FieldLimit grad_accum{"grad_accum", 1, 4096};
inline constexpr FieldLimit warmup_steps{"warmup_steps", 0, INT_MAX};
inline constexpr FieldLimit eval_interval{"eval_interval", 0, INT_MAX};
inline constexpr FieldLimit eval_batches{"eval_batches", 1, 100000};
}  // namespace limits

// Throws mg::error "<what> must be between min and max (got v)" with the given hint.
void check_limit(long v, const FieldLimit & limit, const std::string & hint, const char * what = nullptr);

}  // namespace mg
