// TrainingJob: one training run on a worker thread, streaming its progress to JavaScript. The
// run itself is the engine's TrainingSession (train/session.h); this file only translates.
//   const job = new addon.TrainingJob(request, onEvent)
//   job.done: Promise<{ status: 'finished' | 'stopped', step, steps, checkpointPath, valLoss }>
//   job.pause() / job.resume() / job.stop()   (stop saves the checkpoint first; a second stop
//                                              gives up a final save that keeps failing)
// The request: { dataPath, checkpointPath?, initFrom?, resume?, model?, train?, saveInterval?,
//   saveRetrySeconds? (between attempts of a failing final save, default 5), threads?,
//   sampleInterval? (a sample every N steps; 0 = none, the default), sampleTokens? (120) }
// Events arrive in order, none coalesced or dropped (AsyncProgressQueueWorker); step events come in
// batches of up to 0.1 s (a slower step at once), every other event at once:
//   { type: 'started', model, params, vocabSize, trainTokens, valTokens, step, steps, kernels,
//     memoryBytes, memoryAvailableBytes, checkpointBytes, train (the resolved settings) }
//   { type: 'step', ...StepStats }
//   { type: 'sample', step, text }   (the model's text from the weights after that step)
//   { type: 'saved', path, step, reason: 'autosave' | 'finished' | 'stopped' }
//   { type: 'saveFailed', step, reason, code, message, hint, willRetry, retryInSeconds, retryAtStep }
//   { type: 'paused' | 'resumed', step }
// A failed job rejects with an Error whose `code` is the engine's (CHECKPOINT_LOCKED, DISK_FULL,
// SAVE_TARGET, SAVE_FAILED, OUT_OF_MEMORY, CHECKPOINT_DAMAGED, BAD_REQUEST) or ENGINE_ERROR, with
// `hint`, `step` (when it had trained) and `lastSavedStep` (the step the checkpoint file holds,
// or null).
#pragma once
#include <napi.h>

#include <memory>

#include "train/session.h"

namespace mg::binding {

class TrainingJob : public Napi::ObjectWrap<TrainingJob> {
public:
    static Napi::Function define(Napi::Env env);
    explicit TrainingJob(const Napi::CallbackInfo & info);

private:
    Napi::Value pause(const Napi::CallbackInfo & info);
    Napi::Value resume(const Napi::CallbackInfo & info);
    Napi::Value stop(const Napi::CallbackInfo & info);
    std::shared_ptr<TrainControl> control_;  // shared with the worker: either may outlive the other
};

}  // namespace mg::binding
