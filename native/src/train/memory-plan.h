// MemoryPlan: what a training run will hold in memory, computed from its configs before any of
// it is allocated, so a run too big for the machine is refused with numbers instead of growing
// until the kernel's OOM killer ends it.
// Activations are not estimated from a formula: plan_tape() replays the exact sequence of arena
// allocations that gpt_forward and Tape::backward make for the largest step (every pass of
// max_passes, backprop_passes of them on the tape) and for an evaluation, through the same
// 64-byte rounding and the same gradient pool. The Trainer reserves its arenas at these sizes,
// and test-memory-plan checks the prediction against the arenas' real high-water marks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/config.h"
#include "train/config.h"

namespace mg {

struct TapePlan {
    size_t acts = 0;     // the activation arena's high-water mark, bytes
    size_t grads = 0;    // the activation-gradient arena's
    size_t entries = 0;  // tape entries of the largest step
};
// B sequences of T tokens: the larger of a training step at the most passes (with dropout's
// tensors when it trains with dropout) and an evaluation.
TapePlan plan_tape(const ModelConfig & model, int B, int T, bool dropout = false);
// The activation arena of an inference forward and its loss (no tape, no gradients): B
// sequences of T at `passes` passes, the high-water mark gpt_forward and the crossentropy kernel
// reach (the whole-split evaluation, eval/evaluate.h, reserves this).
size_t plan_inference_acts(const ModelConfig & model, int B, int T, int passes);

struct MemoryPlan {
    uint64_t weights = 0, gradients = 0, optimizer = 0;  // the flat buffers: n, n, 2n floats
    uint64_t activations = 0;                            // both tape arenas and the batch buffers
    uint64_t scratch = 0;                                // the kernels' per-thread buffers
    uint64_t data = 0;                                   // the training text and its token ids
    uint64_t total = 0;
    int batch_size = 0, seq_len = 0;
};
// data_bytes: the training text's size; its token ids are counted too (4 bytes per character).
// threads: the OpenMP threads the run will use (the kernels' buffers are per thread); 0: as many
// as a parallel region started now by the calling thread would get (omp_get_max_threads).
MemoryPlan plan_training_memory(const ModelConfig & model, const TrainConfig & train, size_t data_bytes = 0,
                                size_t data_tokens = 0, int threads = 0);

// Refuses (mg::error, code OUT_OF_MEMORY) a run that needs more than `available` bytes beyond
// the `resident` ones already allocated for it (a loaded checkpoint's weights and moments). The
// message gives both numbers and the parts; the hint, the largest batch size that fits (with
// the gradient accumulation that keeps the tokens per step) or, for a new model (`new_model`),
// the largest preset that fits.
void check_training_memory(const ModelConfig & model, const TrainConfig & train, size_t data_bytes, size_t data_tokens,
                           uint64_t resident,
                           uint64_t available, const std::string & available_source, bool new_model);

std::string describe_memory_plan(const MemoryPlan & plan);  // "71 MB: weights 3.4 MB, ..."

}  // namespace mg
