#include "training-job.h"

#include <omp.h>

#include <chrono>
#include <climits>
#include <vector>

#include "convert.h"
#include "core/error.h"
#include "io/text-file.h"
#include "kernels/dispatch.h"

namespace mg::binding {

namespace {

// Everything the worker needs, copied out of the JS request on the JS thread.
struct JobRequest {
    std::string data_path;
    TrainRequest session;
    std::vector<std::string> model_fields_given;  // architecture fields, refused with initFrom
    int threads = 0;
};

constexpr double kStepBatchSeconds = 0.1;

struct TrainEvent {
    enum Kind { STARTED, STEP, SAMPLE, SAVED, SAVE_FAILED, PAUSED, RESUMED } kind = STEP;
    StepStats stats;
    SessionStart start;
    SaveFailure failure;
    std::string path, reason, text;
    int step = 0;
    float val_loss = -1;  // SAVED for the best checkpoint: its val loss
};

class TrainWorker : public Napi::AsyncProgressQueueWorker<TrainEvent> {
public:
    TrainWorker(Napi::Env env, JobRequest req, std::shared_ptr<TrainControl> control, Napi::Function on_event)
        : Napi::AsyncProgressQueueWorker<TrainEvent>(env, "microgpt.train"),
          req_(std::move(req)), control_(std::move(control)), deferred_(Napi::Promise::Deferred::New(env)) {
        on_event_ = Napi::Persistent(on_event);
    }
    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute(const ExecutionProgress & progress) override {
        if (!run_catching([&] { run(progress); }, failure_)) SetError(failure_.message);
        release_thread_team();
    }

    void OnProgress(const TrainEvent * events, size_t count) override {
        Napi::Env env = Env();
        Napi::HandleScope scope(env);
        for (size_t i = 0; i < count; i++) {
            Napi::Object o = to_js(env, events[i]);
            try {
                on_event_.Call({o});
            } catch (const Napi::Error &) {
                // a throwing listener must not take the training down
            }
        }
    }

    void OnOK() override {
        Napi::Env env = Env();
        Napi::Object r = Napi::Object::New(env);
        r.Set("status", result_.stopped ? "stopped" : "finished");
        r.Set("step", result_.step);
        r.Set("steps", result_.steps);
        r.Set("checkpointPath", result_.saved ? Napi::Value(Napi::String::New(env, req_.session.save_path)) : env.Null());
        r.Set("valLoss", result_.val_loss >= 0 ? Napi::Value(Napi::Number::New(env, result_.val_loss)) : env.Null());
        if (result_.best.step >= 0) {
            Napi::Object best = Napi::Object::New(env);
            best.Set("path", best_checkpoint_path(req_.session.save_path));
            best.Set("step", result_.best.step);
            best.Set("valLoss", result_.best.val_loss);
            r.Set("best", best);
        } else {
            r.Set("best", env.Null());
        }
        deferred_.Resolve(r);
        on_event_.Reset();
    }

    void OnError(const Napi::Error &) override {
        Napi::Env env = Env();
        Napi::Error e = engine_error(env, failure_);
        if (final_step_ > 0) e.Set("step", Napi::Number::New(env, final_step_));
        e.Set("lastSavedStep", last_saved_step_ >= 0 ? Napi::Value(Napi::Number::New(env, last_saved_step_)) : env.Null());
        deferred_.Reject(e.Value());
        on_event_.Reset();
    }

private:
    static Napi::Object to_js(Napi::Env env, const TrainEvent & e) {
        Napi::Object o = Napi::Object::New(env);
        switch (e.kind) {
            case TrainEvent::STARTED:
                o.Set("type", "started");
                o.Set("model", model_config_to_js(env, e.start.config));
                o.Set("params", double(e.start.params));
                o.Set("vocabSize", e.start.vocab);
                o.Set("trainTokens", double(e.start.train_tokens));
                o.Set("valTokens", double(e.start.val_tokens));
                o.Set("step", e.start.step);
                o.Set("steps", e.start.steps);
                o.Set("kernels", MG_KERNELS_ISA);
                o.Set("memoryBytes", double(e.start.memory.total));
                o.Set("memoryAvailableBytes",
                      e.start.memory_available ? Napi::Value(Napi::Number::New(env, double(e.start.memory_available))) : env.Null());
                o.Set("checkpointBytes", double(e.start.checkpoint_bytes));
                o.Set("train", train_config_to_js(env, e.start.train, e.start.seq_len));
                break;
            case TrainEvent::STEP:
                o = step_stats_to_js(env, e.stats);
                o.Set("type", "step");
                break;
            case TrainEvent::SAMPLE:
                o.Set("type", "sample");
                o.Set("step", e.step);
                o.Set("text", e.text);
                break;
            case TrainEvent::SAVED:
                o.Set("type", "saved");
                o.Set("path", e.path);
                o.Set("step", e.step);
                o.Set("reason", e.reason);
                if (e.val_loss >= 0) o.Set("valLoss", e.val_loss);
                break;
            case TrainEvent::SAVE_FAILED: {
                const SaveFailure & f = e.failure;
                o.Set("type", "saveFailed");
                o.Set("step", f.step);
                o.Set("reason", f.reason);
                o.Set("code", f.code);
                o.Set("message", f.message);
                o.Set("hint", f.hint);
                o.Set("willRetry", f.will_retry);
                o.Set("retryInSeconds", f.retry_in_seconds > 0 ? Napi::Value(Napi::Number::New(env, f.retry_in_seconds)) : env.Null());
                o.Set("retryAtStep", f.next_autosave_step > 0 ? Napi::Value(Napi::Number::New(env, f.next_autosave_step)) : env.Null());
                break;
            }
            case TrainEvent::PAUSED:
            case TrainEvent::RESUMED:
                o.Set("type", e.kind == TrainEvent::PAUSED ? "paused" : "resumed");
                o.Set("step", e.step);
                break;
        }
        return o;
    }

    void run(const ExecutionProgress & progress) {
        if (req_.threads > 0) omp_set_num_threads(req_.threads);
        if (!req_.session.init_from.empty() && !req_.model_fields_given.empty())
            MG_THROW_CODE(errc::kBadRequest,
                          "model fields cannot change a loaded checkpoint's architecture (got " +
                              req_.model_fields_given.front() + ")",
                          "start a new model without initFrom to change its shape");
        TrainRequest request = req_.session;
        request.text = read_text_file(req_.data_path);
        TrainingSession session(std::move(request));
        // Step events go out in batches of up to kStepBatchSeconds: every one, in order, but a
        // small model's 50 steps a second then wake the JS thread, the back end and the window
        // 10 times a second, not 50, and each wake-up takes a core from the training's threads.
        // Any other event sends the steps before it first; a step slower than that goes at once.
        std::vector<TrainEvent> steps;
        auto last_flush = std::chrono::steady_clock::now();
        auto flush = [&] {
            if (!steps.empty()) progress.Send(steps.data(), steps.size());
            steps.clear();
            last_flush = std::chrono::steady_clock::now();
        };
        auto send = [&](TrainEvent e) {
            flush();
            progress.Send(&e, 1);
        };
        TrainingEvents ev;
        ev.started = [&](const SessionStart & s) {
            final_step_ = s.step;
            TrainEvent e;
            e.kind = TrainEvent::STARTED;
            e.start = s;
            send(std::move(e));
        };
        ev.step = [&](const StepStats & s) {
            final_step_ = s.step;
            TrainEvent e;
            e.kind = TrainEvent::STEP;
            e.stats = s;
            steps.push_back(std::move(e));
            if (std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush).count() >= kStepBatchSeconds ||
                s.step == s.steps)
                flush();
        };
        ev.sample = [&](int step, const std::string & text) {
            TrainEvent e;
            e.kind = TrainEvent::SAMPLE;
            e.step = step, e.text = text;
            send(std::move(e));
        };
        ev.saved = [&](const std::string & path, int step, const std::string & reason) {
            TrainEvent e;
            if (reason == "best") e.val_loss = session.best().val_loss;  // a file beside the run's checkpoint
            else last_saved_step_ = step;
            e.kind = TrainEvent::SAVED;
            e.path = path, e.step = step, e.reason = reason;
            send(std::move(e));
        };
        ev.save_failed = [&](const SaveFailure & f) {
            TrainEvent e;
            e.kind = TrainEvent::SAVE_FAILED;
            e.failure = f;
            send(std::move(e));
        };
        ev.paused = [&](int step) {
            TrainEvent e;
            e.kind = TrainEvent::PAUSED;
            e.step = step;
            send(std::move(e));
        };
        ev.resumed = [&](int step) {
            TrainEvent e;
            e.kind = TrainEvent::RESUMED;
            e.step = step;
            send(std::move(e));
        };
        last_saved_step_ = session.last_saved_step();
        try {
            result_ = session.run(*control_, ev);
        } catch (...) {
            flush();
            last_saved_step_ = session.last_saved_step();
            throw;
        }
        flush();
    }

    JobRequest req_;
    std::shared_ptr<TrainControl> control_;
    Napi::Promise::Deferred deferred_;
    Napi::FunctionReference on_event_;
    EngineFailure failure_;
    SessionResult result_;
    int final_step_ = 0, last_saved_step_ = -1;
};

JobRequest parse_request(const Napi::Object & o) {
    JobRequest j;
    TrainRequest & r = j.session;
    std::optional<std::string> data = get_string(o, "dataPath");
    if (!data || data->empty()) throw Napi::TypeError::New(o.Env(), "dataPath must be a non-empty string");
    j.data_path = *data;
    r.save_path = get_string(o, "checkpointPath").value_or("");
    r.init_from = get_string(o, "initFrom").value_or("");
    r.resume = get_bool(o, "resume").value_or(false);
    if (r.resume && r.init_from.empty()) throw Napi::TypeError::New(o.Env(), "resume needs initFrom (a checkpoint path)");
    r.save_interval = get_int(o, "saveInterval", 0, 1 << 30).value_or(500);
    r.save_retry_seconds = get_number(o, "saveRetrySeconds", 0.01, 3600).value_or(5);
    r.sample_interval = get_int(o, "sampleInterval", 0, 1 << 30).value_or(0);
    r.sample_tokens = get_int(o, "sampleTokens", 1, 10000).value_or(120);
    j.threads = get_int(o, "threads", 0, 1024).value_or(0);
    std::string preset = "8gb";  // the model without a model object, and the lr's preset
    if (o.Has("model") && !o.Get("model").IsUndefined()) {
        Napi::Object m = require_object(o.Get("model"), "model");
        preset = get_string(m, "preset").value_or(preset);
        try {
            r.model = model_preset(preset);
        } catch (const mg::error & e) {
            throw Napi::RangeError::New(o.Env(), e.message + " (" + e.hint + ")");
        }
        for (const char * k : {"preset", "embedDim", "numLayers", "numHeads", "maxSeqLen", "hiddenDim", "preludeLayers",
                               "codaLayers"})
            if (m.Has(k) && !m.Get(k).IsUndefined()) j.model_fields_given.push_back(k);
        apply_model_fields(m, r.model);
        // from a checkpoint, only the recursion's training schedule may change
        if (auto v = get_number(m, "meanPasses", 1, 64)) r.mean_passes = float(*v);
        if (auto v = get_int(m, "maxPasses", 1, 64)) r.max_passes = *v;
        if (auto v = get_int(m, "backpropPasses", 1, 64)) r.backprop_passes = *v;
    } else {
        r.model = model_preset(preset);
    }
    // a new model trains at its preset's peak lr unless told; from a checkpoint, at TrainConfig's
    if (r.init_from.empty()) r.train.lr = preset_learning_rate(preset);
    if (o.Has("train") && !o.Get("train").IsUndefined()) {
        Napi::Object t = require_object(o.Get("train"), "train");
        if (t.Has("steps") && !t.Get("steps").IsUndefined()) r.steps = get_int(t, "steps", 1, INT_MAX);
        apply_train_fields(t, r.train);
    }
    // what can be checked before reading the data is checked now, as a RangeError
    try {
        ModelConfig probe = r.model;
        probe.vocab_size = 1;
        validate_config(probe);
        validate_train_config(r.train);
    } catch (const mg::error & e) {
        throw Napi::RangeError::New(o.Env(), e.message + (e.hint.empty() ? "" : " (" + e.hint + ")"));
    }
    return j;
}

}  // namespace

Napi::Function TrainingJob::define(Napi::Env env) {
    return DefineClass(env, "TrainingJob",
                       {InstanceMethod("pause", &TrainingJob::pause), InstanceMethod("resume", &TrainingJob::resume),
                        InstanceMethod("stop", &TrainingJob::stop)});
}

TrainingJob::TrainingJob(const Napi::CallbackInfo & info)
    : Napi::ObjectWrap<TrainingJob>(info), control_(std::make_shared<TrainControl>()) {
    Napi::Env env = info.Env();
    if (!info.IsConstructCall()) throw Napi::TypeError::New(env, "TrainingJob must be called with new");
    Napi::Object request = require_object(info[0], "the training request");
    Napi::Function on_event = require_function(info[1], "onEvent");
    auto * worker = new TrainWorker(env, parse_request(request), control_, on_event);
    info.This().As<Napi::Object>().Set("done", worker->promise());
    worker->Queue();
}

Napi::Value TrainingJob::pause(const Napi::CallbackInfo & info) {
    control_->pause();
    return info.Env().Undefined();
}

Napi::Value TrainingJob::resume(const Napi::CallbackInfo & info) {
    control_->resume();
    return info.Env().Undefined();
}

Napi::Value TrainingJob::stop(const Napi::CallbackInfo & info) {
    control_->stop();
    return info.Env().Undefined();
}

}  // namespace mg::binding
