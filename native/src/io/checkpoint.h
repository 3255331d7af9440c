// Checkpoint file format, version 1 (little-endian):
//   header   "MGPTCKPT" | u32 version | u32 flags | u64 payload_bytes
//   payload  sections, each: 4-byte tag | u64 length | bytes
//              CONF  model config        VOCB  tokenizer code points
//              WGHT  float32 parameters in the flat layout of model/gpt.h
//              TRST  (optional) training config, step, RNG, data fingerprint, AdamW m and v
//   trailer  u64 checksum (core/hash.h) of every byte before it
// Readers skip sections they do not know, so a version can grow without breaking older files.
// Files are written to a temp file, fsynced and renamed over the target: a crash mid-save leaves
// the previous checkpoint in place.
#pragma once
#include <string>
#include <vector>

#include "model/config.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

namespace mg {

inline constexpr uint32_t kCheckpointVersion = 1;

struct GPT;

struct Checkpoint {
    ModelConfig config;
    Tokenizer tokenizer;
    std::vector<float> params;
    bool has_train_state = false;
    TrainState train;
};

// train may be null (weights only). Throws mg::error (with the OS reason) if the write fails;
// the target is then untouched.
void checkpoint_save(const std::string & path, const GPT & model, const Tokenizer & tokenizer,
                     const TrainState * train);
// Throws the error a save would, now: so a run fails at its start, not after hours of training.
void checkpoint_check_writable(const std::string & path);
// Validates everything (magic, version, size, checksum, config, sizes) before returning.
Checkpoint checkpoint_load(const std::string & path);
// Builds a model from a loaded checkpoint (moves the weights out of it).
void gpt_from_checkpoint(GPT & model, Checkpoint & checkpoint);

}  // namespace mg
