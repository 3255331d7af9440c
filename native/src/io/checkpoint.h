// Checkpoint file format, version 1 (little-endian):
//   header   "MGPTCKPT" | u32 version | u32 flags | u64 payload_bytes
//   payload  sections, each: 4-byte tag | u64 length | bytes
//              CONF  model config        VOCB  tokenizer code points
//              WGHT  float32 parameters in the flat layout of model/gpt.h
//              TRST  (optional) training config, step, RNG, data fingerprint, AdamW m and v
//              SPLT  (optional) how the run cut its val split: the tail or whole lines (each line
//                    its own sequence or not), with the
//                    seq_len, val_fraction and seed that place it (a best checkpoint has no TRST)
//              BEST  (optional) a best val loss and its step: in a run's checkpoint the run's best
//                    so far (what a resumed run has to beat), in a best checkpoint its own
//   trailer  u64 checksum (core/hash.h) of every byte before it
// CONF comes first, so the reader knows every size before it allocates. Readers skip sections
// they do not know, so a version can grow without breaking older files.
// Files are written to a temp file (<path>.tmp-<pid>), fsynced and renamed over the target: a
// crash mid-save leaves the previous checkpoint in place, and the temp file of a process that
// died is removed the next time the checkpoint is opened or written (io/save-target.h).
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "model/config.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

namespace mg {

inline constexpr uint32_t kCheckpointVersion = 1;

struct GPT;

// The lowest val loss a run has reached, and after which step. step -1: none yet.
struct BestMark {
    int step = -1;
    float val_loss = 0;
};

// How a run cut its data into train and val (train/trainer.h val_split_begin, data/line-split.h),
// so an evaluation of the val split cuts the same one.
struct SplitSpec {
    bool lines = false;  // whole lines in seeded order, else the tail
    bool line_sequences = false;  // with lines: each line was trained, and is evaluated, as its own sequence
    int seq_len = 0;     // the run's sequence length (0: the model's max_seq_len)
    float val_fraction = 0.1f;
    uint64_t seed = 1337;
};
SplitSpec split_spec_of(const TrainConfig & config);

struct Checkpoint {
    ModelConfig config;
    Tokenizer tokenizer;
    std::vector<float> params;
    bool has_train_state = false;
    TrainState train;
    BestMark best;  // step -1 when the file has no BEST section
    bool has_split = false;
    SplitSpec split;  // from SPLT; older files: from TRST, else the defaults (the tail)
};

// The exact size of the file checkpoint_save writes for a model of this config with this many
// vocabulary characters (not counting the special tokens), with or without training state and a
// best mark.
uint64_t checkpoint_file_bytes(const ModelConfig & config, size_t vocab_chars, bool with_train_state,
                               bool with_best = false, bool with_split = false);

// train may be null (weights only), and best too (no BEST section). Throws mg::error (with the OS
// reason and a code: DISK_FULL, SAVE_TARGET or SAVE_FAILED) if the write fails; the target is
// then untouched.
void checkpoint_save(const std::string & path, const GPT & model, const Tokenizer & tokenizer,
                     const TrainState * train, const BestMark * best = nullptr, const SplitSpec * split = nullptr);

// Where a run that saves to `path` keeps its best checkpoint (the weights with the lowest val
// loss so far): names.bin -> names.best.bin; a path without .bin gets .best appended.
std::string best_checkpoint_path(const std::string & path);
// Validates everything before returning: magic, version, size, checksum, then every field
// (the limits of model/limits.h, sizes against the config, Unicode scalar values, finite
// weights and optimizer moments, the training state's ranges). A file that fails is an
// mg::error with code CHECKPOINT_DAMAGED that says what is wrong.
Checkpoint checkpoint_load(const std::string & path);
// The same from an open stream of `size` bytes positioned at its start; `name` names it in
// messages. The fuzz target feeds it memory through fmemopen.
Checkpoint checkpoint_read(std::FILE * f, uint64_t size, const std::string & name);
// Builds a model from a loaded checkpoint (moves the weights out of it).
void gpt_from_checkpoint(GPT & model, Checkpoint & checkpoint);

}  // namespace mg
