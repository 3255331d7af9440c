#include "model-handle.h"

#include <omp.h>

#include "convert.h"
#include "core/error.h"
#include "generate/generate.h"
#include "io/checkpoint.h"

namespace mg::binding {

namespace {

Napi::FunctionReference * g_constructor = nullptr;

class LoadWorker : public Napi::AsyncWorker {
public:
    LoadWorker(Napi::Env env, std::string path)
        : Napi::AsyncWorker(env, "microgpt.loadModel"), path_(std::move(path)), deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute() override {
        if (!run_catching([&] { load(); }, failure_)) SetError(failure_.message);
    }
    void load() {
        Checkpoint ck = checkpoint_load(path_);
        loaded_ = std::make_shared<LoadedModel>();
        loaded_->path = path_;
        loaded_->tokenizer = ck.tokenizer;
        loaded_->line_sequences = ck.split.line_sequences;
        if (ck.has_train_state) {
            loaded_->trained_steps = ck.train.step;
            loaded_->schedule_steps = ck.train.config.steps;
        }
        gpt_from_checkpoint(loaded_->model, ck);
    }
    void OnOK() override {
        Napi::Env env = Env();
        auto * holder = new std::shared_ptr<LoadedModel>(loaded_);
        Napi::External<std::shared_ptr<LoadedModel>> ext = Napi::External<std::shared_ptr<LoadedModel>>::New(
            env, holder, [](Napi::Env, std::shared_ptr<LoadedModel> * p) { delete p; });
        deferred_.Resolve(g_constructor->New({ext}));
    }
    void OnError(const Napi::Error &) override { deferred_.Reject(engine_error(Env(), failure_).Value()); }

private:
    std::string path_;
    EngineFailure failure_;
    std::shared_ptr<LoadedModel> loaded_;
    Napi::Promise::Deferred deferred_;
};

struct GenerateRequest {
    std::string prompt;
    std::vector<ChatTurn> history;
    bool chat = false;
    GenerateConfig config;
    int threads = 0;
};

// A piece of streamed text and the passes of each of its bytes (generate.h's TokenCallback).
struct TextPiece {
    std::string text;
    std::vector<uint8_t> passes;
};

// One entry per UTF-8 code point of the piece: the passes of its first byte.
Napi::Array code_point_passes(Napi::Env env, const TextPiece & p) {
    Napi::Array a = Napi::Array::New(env);
    uint32_t n = 0;
    for (size_t i = 0; i < p.text.size(); i++)
        if ((uint8_t(p.text[i]) & 0xC0) != 0x80) a.Set(n++, Napi::Number::New(env, p.passes[i]));
    return a;
}

class GenerateWorker : public Napi::AsyncProgressQueueWorker<TextPiece> {
public:
    GenerateWorker(Napi::Env env, std::shared_ptr<LoadedModel> model, GenerateRequest req, Napi::Function on_text,
                   std::shared_ptr<std::atomic<bool>> cancelled)
        : Napi::AsyncProgressQueueWorker<TextPiece>(env, "microgpt.generate"), model_(std::move(model)),
          req_(std::move(req)), deferred_(Napi::Promise::Deferred::New(env)), cancelled_(std::move(cancelled)) {
        on_text_ = Napi::Persistent(on_text);
    }
    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute(const ExecutionProgress & progress) override {
        if (!run_catching([&] { run(progress); }, failure_)) SetError(failure_.message);
        release_thread_team();
    }
    void run(const ExecutionProgress & progress) {
        if (req_.threads > 0) omp_set_num_threads(req_.threads);
        auto on_text = [&](const std::string & piece, const std::vector<uint8_t> & passes) {
            TextPiece p{piece, passes};
            progress.Send(&p, 1);
            return !cancelled_->load();
        };
        result_ = req_.chat ? chat_reply(model_->model, model_->tokenizer, req_.history, req_.config, on_text)
                            : generate(model_->model, model_->tokenizer, req_.prompt, req_.config, on_text);
    }
    void OnProgress(const TextPiece * pieces, size_t count) override {
        Napi::HandleScope scope(Env());
        for (size_t i = 0; i < count; i++) {
            try {
                on_text_.Call({Napi::String::New(Env(), pieces[i].text), code_point_passes(Env(), pieces[i])});
            } catch (const Napi::Error &) {
                // a throwing listener must not end the generation
            }
        }
    }
    void OnOK() override {
        Napi::Env env = Env();
        Napi::Object r = Napi::Object::New(env);
        r.Set("text", result_.text);
        r.Set("tokens", result_.tokens);
        r.Set("promptTokens", result_.prompt_tokens);
        r.Set("meanPasses", result_.mean_passes);
        r.Set("stopReason", result_.stop_reason);
        r.Set("seconds", result_.seconds);
        r.Set("tokensPerSec", result_.tokens_per_sec);
        if (req_.chat) r.Set("trimmedTurns", result_.trimmed_turns);
        deferred_.Resolve(r);
        on_text_.Reset();
    }
    void OnError(const Napi::Error &) override {
        deferred_.Reject(engine_error(Env(), failure_).Value());
        on_text_.Reset();
    }

private:
    std::shared_ptr<LoadedModel> model_;
    GenerateRequest req_;
    Napi::Promise::Deferred deferred_;
    Napi::FunctionReference on_text_;
    GenerateResult result_;
    EngineFailure failure_;
    std::shared_ptr<std::atomic<bool>> cancelled_;
};

}  // namespace

Napi::Function ModelHandle::define(Napi::Env env, Napi::FunctionReference * constructor) {
    Napi::Function f = DefineClass(env, "Model",
                                   {InstanceMethod("info", &ModelHandle::info),
                                    InstanceMethod("generate", &ModelHandle::generate)});
    *constructor = Napi::Persistent(f);
    g_constructor = constructor;
    return f;
}

ModelHandle::ModelHandle(const Napi::CallbackInfo & info) : Napi::ObjectWrap<ModelHandle>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
        throw Napi::TypeError::New(info.Env(), "Model cannot be constructed directly; use loadModel(path)");
    model_ = *info[0].As<Napi::External<std::shared_ptr<LoadedModel>>>().Data();
}

Napi::Value ModelHandle::load(const Napi::CallbackInfo & info) {
    if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "loadModel(path): path must be a string");
    auto * worker = new LoadWorker(info.Env(), info[0].As<Napi::String>().Utf8Value());
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
}

Napi::Value ModelHandle::info(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    const LoadedModel & m = *model_;
    o.Set("path", m.path);
    o.Set("model", model_config_to_js(env, m.model.config));
    o.Set("params", double(m.model.num_params));
    o.Set("vocabSize", m.tokenizer.vocab_size());
    o.Set("defaultPasses", m.model.config.default_passes());
    o.Set("trainedSteps", m.trained_steps >= 0 ? Napi::Value(Napi::Number::New(env, m.trained_steps)) : env.Null());
    o.Set("scheduleSteps", m.trained_steps >= 0 ? Napi::Value(Napi::Number::New(env, m.schedule_steps)) : env.Null());
    return o;
}

Napi::Value ModelHandle::generate(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object o = require_object(info[0], "the generation request");
    Napi::Function on_text = require_function(info[1], "onText");
    GenerateRequest req;
    apply_generate_fields(o, req.config, {"prompt", "history", "threads"});
    req.config.line_sequences = model_->line_sequences;
    req.threads = get_int(o, "threads", 0, 1024).value_or(0);
    try {
        validate_generate_config(req.config, model_->model.config);
        if (o.Has("history") && !o.Get("history").IsUndefined()) {
            if (!o.Get("history").IsArray()) throw Napi::TypeError::New(env, "history must be an array of turns");
            Napi::Array a = o.Get("history").As<Napi::Array>();
            for (uint32_t i = 0; i < a.Length(); i++) {
                Napi::Object t = require_object(a.Get(i), "a history turn");
                std::string role = get_string(t, "role").value_or("");
                if (role != "user" && role != "assistant")
                    throw Napi::TypeError::New(env, "a turn's role must be 'user' or 'assistant'");
                req.history.push_back({role == "user" ? ChatRole::User : ChatRole::Assistant,
                                       get_string(t, "text").value_or("")});
            }
            if (req.history.empty() || req.history.back().role != ChatRole::User)
                throw Napi::RangeError::New(env, "history must end with a user turn");
            req.chat = true;
            chat_prompt(model_->tokenizer, req.history, model_->model.config.max_seq_len);  // checks the characters
        } else {
            req.prompt = get_string(o, "prompt").value_or("");
            model_->tokenizer.encode(req.prompt, false);  // checks the characters
        }
    } catch (const mg::error & e) {
        Napi::Error err = Napi::RangeError::New(env, e.message);
        if (!e.hint.empty()) err.Set("hint", e.hint);
        throw err;
    }
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto * worker = new GenerateWorker(env, model_, std::move(req), on_text, cancelled);
    Napi::Object job = cancellable_job(env, worker->promise(), cancelled);
    worker->Queue();
    return job;
}

}  // namespace mg::binding
