// planMemory: what a training run would hold in memory, part by part, from the engine's own
// memory plan (train/memory-plan.h, the one TrainingSession checks before it allocates), and
// what this machine can give it now (core/host-memory.h).
//   addon.planMemory({ model: { preset?, ...fields, vocabSize }, train?, dataBytes?, dataTokens?,
//                      threads? (the run's; 0: all cores) })
//   -> { model, params, batchSize, seqLen, weights, gradients, optimizer, activations, scratch,
//        data, total, availableBytes (null when unknown) }   (bytes; HostMemoryPlan)
// A bad field or shape is a TypeError / RangeError at the call. Synchronous: the plan replays
// the arena allocations of one step by shape only, well under a millisecond for any preset.
#pragma once
#include <napi.h>

namespace mg::binding {

Napi::Value plan_memory(const Napi::CallbackInfo & info);

}  // namespace mg::binding
