// calibrate: how fast a model trains on this machine, measured, not guessed. A throwaway model
// of the given shape trains with the real Trainer on random tokens of its vocabulary: one
// warm-up step (first touches of the arenas, the thread pool waking), then steps until `seconds`
// have passed. The run is checked against the memory plan first, as TrainingSession checks a
// real run, so a config that will not fit is refused (OUT_OF_MEMORY) before it allocates.
//   addon.calibrate({ model: { preset?, ...fields, vocabSize }, train?, seconds? (default 2,
//                     clamped to [0.2, 10]), threads? (0: all cores) })
//   -> Promise<{ tokensPerSec, secondsPerStep, steps, seconds, threads }>
// It runs on a worker thread (AsyncWorker), never on the JS thread. A bad field or shape is a
// TypeError / RangeError at the call; a failure in the run rejects with the engine's code.
#pragma once
#include <napi.h>

namespace mg::binding {

Napi::Value calibrate(const Napi::CallbackInfo & info);

}  // namespace mg::binding
