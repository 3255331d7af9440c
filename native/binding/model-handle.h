// Model: a checkpoint loaded for inference.
//   const model = await addon.loadModel(path)      (loads and validates off the JS thread)
//   model.info() -> { path, model, params, vocabSize, trainedSteps, ... }
//   const job = model.generate(request, onText)    request: { prompt } or { history: [{ role, text }] }
//     onText(piece, passes): passes has one entry per code point of piece, the recursion passes
//     of the step that chose it
//   await job.done; job.cancel()                   cancel ends that generation (stopReason 'cancelled')
//     a chat reply's result also has trimmedTurns: the oldest turns left out to fit the context
// A prompt character the model never saw is a RangeError at the call, before any work starts.
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <string>

#include "model/gpt.h"
#include "tokenizer/tokenizer.h"

namespace mg::binding {

struct LoadedModel {
    std::string path;
    GPT model;
    Tokenizer tokenizer;
    int trained_steps = -1;  // -1: the checkpoint had no training state
    int schedule_steps = 0;
    bool line_sequences = false;  // trained on each line alone (GenerateConfig::line_sequences)
};

class ModelHandle : public Napi::ObjectWrap<ModelHandle> {
public:
    static Napi::Function define(Napi::Env env, Napi::FunctionReference * constructor);
    explicit ModelHandle(const Napi::CallbackInfo & info);
    static Napi::Value load(const Napi::CallbackInfo & info);  // addon.loadModel(path)

private:
    Napi::Value info(const Napi::CallbackInfo & info);
    Napi::Value generate(const Napi::CallbackInfo & info);
    std::shared_ptr<LoadedModel> model_;
};

}  // namespace mg::binding
