// evaluate: a checkpoint's mean loss and bits per character over the whole validation split of
// a text (the trainer's split) or over all of it, through the engine's evaluation
// (eval/evaluate.h, the one `microgpt --eval` runs).
//   const job = addon.evaluate({ checkpointPath, dataPath, split? ('val' | 'all'), passes? (0: the
//                                model's default), adaptive?, klThreshold?, valFraction?,
//                                batchSize?, seqLen? (0: the run's), threads? (0: all cores) })
//   await job.done -> { tokens, loss, bitsPerChar, tokensPerSec, msPerToken, meanPasses, seconds,
//                       passes, adaptive, seqLen, windows, split, valFraction, dataTokens,
//                       dataIsTrainingData (null: the checkpoint has no training state), threads }
//   job.cancel()   -> done rejects with code CANCELLED (checked between batches)
// It runs on a worker thread (AsyncWorker), never on the JS thread. A wrong type is a TypeError
// and a value out of range a RangeError at the call; what needs the checkpoint (passes for a
// model without recursion, a seqLen beyond its context) rejects with BAD_REQUEST.
#pragma once
#include <napi.h>

namespace mg::binding {

Napi::Value evaluate(const Napi::CallbackInfo & info);

}  // namespace mg::binding
