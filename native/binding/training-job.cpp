#include "training-job.h"

#include <omp.h>

#include "convert.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "io/save-target.h"
#include "io/text-file.h"
#include "kernels/dispatch.h"
#include "train/trainer.h"

namespace mg::binding {

namespace {

// Everything the worker needs, copied out of the JS request on the JS thread.
struct TrainRequest {
    std::string data_path, checkpoint_path, init_from, preset = "8gb";
    bool resume = false;
    ModelConfig model;
    std::vector<std::string> model_fields_given;
    TrainConfig train;
    bool steps_given = false;
    int save_interval = 500;
    int threads = 0;
};

struct TrainEvent {
    enum Kind { STARTED, STEP, SAVED, PAUSED, RESUMED } kind = STEP;
    StepStats stats;
    std::string path, reason;
    int step = 0;
    // STARTED
    ModelConfig config;
    size_t params = 0, train_tokens = 0, val_tokens = 0;
    int vocab = 0, steps = 0;
};

class TrainWorker : public Napi::AsyncProgressQueueWorker<TrainEvent> {
public:
    TrainWorker(Napi::Env env, TrainRequest req, std::shared_ptr<TrainingControl> control, Napi::Function on_event)
        : Napi::AsyncProgressQueueWorker<TrainEvent>(env, "microgpt.train"),
          req_(std::move(req)), control_(std::move(control)), deferred_(Napi::Promise::Deferred::New(env)) {
        on_event_ = Napi::Persistent(on_event);
    }
    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute(const ExecutionProgress & progress) override {
        if (!run_catching([&] { run(progress); }, failure_)) SetError(failure_.message);
    }

    void OnProgress(const TrainEvent * events, size_t count) override {
        Napi::Env env = Env();
        Napi::HandleScope scope(env);
        for (size_t i = 0; i < count; i++) {
            const TrainEvent & e = events[i];
            Napi::Object o;
            switch (e.kind) {
                case TrainEvent::STARTED:
                    o = Napi::Object::New(env);
                    o.Set("type", "started");
                    o.Set("model", model_config_to_js(env, e.config));
                    o.Set("params", double(e.params));
                    o.Set("vocabSize", e.vocab);
                    o.Set("trainTokens", double(e.train_tokens));
                    o.Set("valTokens", double(e.val_tokens));
                    o.Set("step", e.step);
                    o.Set("steps", e.steps);
                    o.Set("kernels", MG_KERNELS_ISA);
                    break;
                case TrainEvent::STEP:
                    o = step_stats_to_js(env, e.stats);
                    o.Set("type", "step");
                    break;
                case TrainEvent::SAVED:
                    o = Napi::Object::New(env);
                    o.Set("type", "saved");
                    o.Set("path", e.path);
                    o.Set("step", e.step);
                    o.Set("reason", e.reason);
                    break;
                case TrainEvent::PAUSED:
                case TrainEvent::RESUMED:
                    o = Napi::Object::New(env);
                    o.Set("type", e.kind == TrainEvent::PAUSED ? "paused" : "resumed");
                    o.Set("step", e.step);
                    break;
            }
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
        r.Set("status", stopped_ ? "stopped" : "finished");
        r.Set("step", final_step_);
        r.Set("steps", total_steps_);
        r.Set("checkpointPath", saved_ ? Napi::Value(Napi::String::New(env, req_.checkpoint_path)) : env.Null());
        r.Set("valLoss", last_val_ >= 0 ? Napi::Value(Napi::Number::New(env, last_val_)) : env.Null());
        deferred_.Resolve(r);
        on_event_.Reset();
    }

    void OnError(const Napi::Error &) override {
        Napi::Error e = engine_error(Env(), failure_);
        if (final_step_ > 0) e.Set("step", Napi::Number::New(Env(), final_step_));
        deferred_.Reject(e.Value());
        on_event_.Reset();
    }

private:
    void run(const ExecutionProgress & progress) {
        if (req_.threads > 0) omp_set_num_threads(req_.threads);
        std::string text = read_text_file(req_.data_path);
        GPT model;
        Tokenizer tok;
        std::vector<int> tokens;  // declared before the trainer, which refers to it
        std::unique_ptr<Trainer> trainer;
        if (!req_.init_from.empty()) {
            if (!req_.model_fields_given.empty())
                MG_THROW_HINT("model fields cannot change a loaded checkpoint's architecture (got " +
                                  req_.model_fields_given.front() + ")",
                              "start a new model without initFrom to change its shape");
            Checkpoint ck = checkpoint_load(req_.init_from);
            tok = ck.tokenizer;
            TrainState state = std::move(ck.train);
            bool has_state = ck.has_train_state;
            gpt_from_checkpoint(model, ck);
            tokens = tok.encode(text, true, "the training data");
            if (req_.resume) {
                if (!has_state)
                    MG_THROW_HINT("checkpoint " + req_.init_from + " holds no training state to resume",
                                  "continue training from it without resume instead");
                if (req_.steps_given) {
                    if (req_.train.steps <= state.step)
                        MG_THROW("steps must be above the " + std::to_string(state.step) + " steps already done");
                    state.config.steps = req_.train.steps;
                } else if (state.step >= state.config.steps) {
                    MG_THROW_HINT("the run already finished its " + std::to_string(state.step) + " steps",
                                  "give more steps to extend it");
                }
                trainer = std::make_unique<Trainer>(model, std::move(state), tokens);
            } else {
                trainer = std::make_unique<Trainer>(model, req_.train, tokens);
            }
        } else {
            tok = Tokenizer::from_text(text);
            ModelConfig c = req_.model;
            c.vocab_size = tok.vocab_size();
            gpt_build(model, c);
            gpt_init_weights(model, req_.train.seed);
            tokens = tok.encode(text, true, "the training data");
            trainer = std::make_unique<Trainer>(model, req_.train, tokens);
        }
        if (!req_.checkpoint_path.empty()) checkpoint_check_target(req_.checkpoint_path);
        total_steps_ = trainer->config().steps;
        final_step_ = trainer->state().step;

        TrainEvent started;
        started.kind = TrainEvent::STARTED;
        started.config = model.config;
        started.params = model.num_params;
        started.vocab = tok.vocab_size();
        started.train_tokens = trainer->train_tokens();
        started.val_tokens = trainer->val_tokens();
        started.step = trainer->state().step;
        started.steps = total_steps_;
        progress.Send(&started, 1);

        auto save = [&](const char * reason) {
            if (req_.checkpoint_path.empty()) return;
            checkpoint_save(req_.checkpoint_path, model, tok, &trainer->state());
            saved_ = true;
            TrainEvent e;
            e.kind = TrainEvent::SAVED;
            e.path = req_.checkpoint_path;
            e.step = trainer->state().step;
            e.reason = reason;
            progress.Send(&e, 1);
        };
        while (!trainer->done()) {
            {
                std::unique_lock<std::mutex> lock(control_->mutex);
                if (control_->paused && !control_->stop) {
                    TrainEvent e;
                    e.kind = TrainEvent::PAUSED;
                    e.step = final_step_;
                    progress.Send(&e, 1);
                    control_->wake.wait(lock, [&] { return !control_->paused || control_->stop.load(); });
                    if (!control_->stop) {
                        e.kind = TrainEvent::RESUMED;
                        progress.Send(&e, 1);
                    }
                }
            }
            if (control_->stop) break;
            TrainEvent e;
            e.kind = TrainEvent::STEP;
            e.stats = trainer->step();
            final_step_ = e.stats.step;
            if (e.stats.val_loss >= 0) last_val_ = e.stats.val_loss;
            progress.Send(&e, 1);
            if (req_.save_interval > 0 && final_step_ % req_.save_interval == 0 && !trainer->done()) save("autosave");
        }
        stopped_ = !trainer->done();
        save(stopped_ ? "stopped" : "finished");
    }

    TrainRequest req_;
    std::shared_ptr<TrainingControl> control_;
    Napi::Promise::Deferred deferred_;
    Napi::FunctionReference on_event_;
    EngineFailure failure_;
    int final_step_ = 0, total_steps_ = 0;
    float last_val_ = -1;
    bool stopped_ = false, saved_ = false;
};

TrainRequest parse_request(const Napi::Object & o) {
    TrainRequest r;
    std::optional<std::string> data = get_string(o, "dataPath");
    if (!data || data->empty()) throw Napi::TypeError::New(o.Env(), "dataPath must be a non-empty string");
    r.data_path = *data;
    r.checkpoint_path = get_string(o, "checkpointPath").value_or("");
    r.init_from = get_string(o, "initFrom").value_or("");
    r.resume = get_bool(o, "resume").value_or(false);
    if (r.resume && r.init_from.empty()) throw Napi::TypeError::New(o.Env(), "resume needs initFrom (a checkpoint path)");
    r.save_interval = get_int(o, "saveInterval", 0, 1 << 30).value_or(500);
    r.threads = get_int(o, "threads", 0, 1024).value_or(0);
    if (o.Has("model") && !o.Get("model").IsUndefined()) {
        Napi::Object m = require_object(o.Get("model"), "model");
        try {
            r.model = model_preset(get_string(m, "preset").value_or("8gb"));
        } catch (const mg::error & e) {
            throw Napi::RangeError::New(o.Env(), e.message + " (" + e.hint + ")");
        }
        for (const char * k : {"preset", "embedDim", "numLayers", "numHeads", "maxSeqLen", "hiddenDim", "preludeLayers",
                               "codaLayers"})
            if (m.Has(k) && !m.Get(k).IsUndefined()) r.model_fields_given.push_back(k);
        apply_model_fields(m, r.model);
    } else {
        r.model = model_preset("8gb");
    }
    if (o.Has("train") && !o.Get("train").IsUndefined()) {
        Napi::Object t = require_object(o.Get("train"), "train");
        r.steps_given = t.Has("steps") && !t.Get("steps").IsUndefined();
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
    return r;
}

}  // namespace

Napi::Function TrainingJob::define(Napi::Env env) {
    return DefineClass(env, "TrainingJob",
                       {InstanceMethod("pause", &TrainingJob::pause), InstanceMethod("resume", &TrainingJob::resume),
                        InstanceMethod("stop", &TrainingJob::stop)});
}

TrainingJob::TrainingJob(const Napi::CallbackInfo & info)
    : Napi::ObjectWrap<TrainingJob>(info), control_(std::make_shared<TrainingControl>()) {
    Napi::Env env = info.Env();
    if (!info.IsConstructCall()) throw Napi::TypeError::New(env, "TrainingJob must be called with new");
    Napi::Object request = require_object(info[0], "the training request");
    Napi::Function on_event = require_function(info[1], "onEvent");
    auto * worker = new TrainWorker(env, parse_request(request), control_, on_event);
    info.This().As<Napi::Object>().Set("done", worker->promise());
    worker->Queue();
}

Napi::Value TrainingJob::pause(const Napi::CallbackInfo & info) {
    std::lock_guard<std::mutex> lock(control_->mutex);
    control_->paused = true;
    return info.Env().Undefined();
}

Napi::Value TrainingJob::resume(const Napi::CallbackInfo & info) {
    {
        std::lock_guard<std::mutex> lock(control_->mutex);
        control_->paused = false;
    }
    control_->wake.notify_all();
    return info.Env().Undefined();
}

Napi::Value TrainingJob::stop(const Napi::CallbackInfo & info) {
    control_->stop = true;
    control_->wake.notify_all();
    return info.Env().Undefined();
}

}  // namespace mg::binding
