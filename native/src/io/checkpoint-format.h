// The byte layout of checkpoint version 1 (see io/checkpoint.h), shared by the writer, the
// reader and the tests that craft files.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mg {

inline constexpr char kMagic[8] = {'M', 'G', 'P', 'T', 'C', 'K', 'P', 'T'};
inline constexpr uint32_t kFlagTrainState = 1;
inline constexpr uint64_t kHeaderBytes = 24;   // magic, version, flags, payload bytes
inline constexpr uint64_t kSectionHead = 12;   // tag, u64 length
// CONF: vocab_size, embed_dim, num_layers, num_heads, max_seq_len, hidden_dim, prelude_layers,
// coda_layers, max_passes, backprop_passes as int32, then mean_passes as float
inline constexpr size_t kConfInts = 10;
inline constexpr uint64_t kConfBytes = kConfInts * 4 + 4;
// TRST: steps, batch_size, seq_len, grad_accum, warmup_steps, eval_interval, eval_batches, step
// as int32; lr, min_lr, weight_decay, beta1, beta2, adam_eps, grad_clip, val_fraction, dropout as
// float; seed, rng[4], data_hash, data_tokens as u64; then AdamW m and v (float32, the flat layout).
// Files from before dropout have 8 floats (no dropout, which reads as 0); the section's length
// tells the two apart (they differ by 4 bytes, the moments by multiples of 8).
inline constexpr size_t kTrainInts = 8, kTrainFloats = 9, kTrainWords = 7;
inline constexpr uint64_t kTrainFixedBytes = kTrainInts * 4 + kTrainFloats * 4 + kTrainWords * 8;
inline constexpr uint64_t kTrainFixedBytesBeforeDropout = kTrainFixedBytes - 4;
// SPLT: u32 mode (0 = the tail, 1 = whole lines, 2 = whole lines, each its own sequence), seq_len as int32, val_fraction as float, seed as u64
inline constexpr uint64_t kSplitBytes = 20;
// BEST: step as int32, val loss as float
inline constexpr uint64_t kBestBytes = 8;

}  // namespace mg
