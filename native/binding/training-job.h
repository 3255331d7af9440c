// TrainingJob: one training run on a worker thread, streaming its progress to JavaScript.
//   const job = new addon.TrainingJob(request, onEvent)
//   job.done: Promise<{ status: 'finished' | 'stopped', step, steps, checkpointPath, valLoss }>
//   job.pause() / job.resume() / job.stop()   (stop saves the checkpoint first)
// Events ({ type: 'started' | 'step' | 'saved' | 'paused' | 'resumed', ... }) arrive in order,
// none coalesced (AsyncProgressQueueWorker).
#pragma once
#include <napi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace mg::binding {

// Shared by the JS object and its worker: either may outlive the other.
struct TrainingControl {
    std::mutex mutex;
    std::condition_variable wake;
    bool paused = false;
    std::atomic<bool> stop{false};
};

class TrainingJob : public Napi::ObjectWrap<TrainingJob> {
public:
    static Napi::Function define(Napi::Env env);
    explicit TrainingJob(const Napi::CallbackInfo & info);

private:
    Napi::Value pause(const Napi::CallbackInfo & info);
    Napi::Value resume(const Napi::CallbackInfo & info);
    Napi::Value stop(const Napi::CallbackInfo & info);
    std::shared_ptr<TrainingControl> control_;
};

}  // namespace mg::binding
