#include "evaluate.h"

#include <omp.h>

#include <atomic>
#include <limits>
#include <memory>

#include "convert.h"
#include "eval/evaluate.h"
#include "model/limits.h"

namespace mg::binding {

namespace {

struct EvaluateRequest {
    EvalRequest eval;
    int threads = 0;
};

class EvaluateWorker : public Napi::AsyncWorker {
public:
    EvaluateWorker(Napi::Env env, EvaluateRequest req, std::shared_ptr<std::atomic<bool>> cancelled)
        : Napi::AsyncWorker(env, "microgpt.evaluate"), req_(std::move(req)), cancelled_(std::move(cancelled)),
          deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute() override {
        if (!run_catching([&] { run(); }, failure_)) SetError(failure_.message);
        release_thread_team();
    }
    void run() {
        if (req_.threads > 0) omp_set_num_threads(req_.threads);
        threads_ = omp_get_max_threads();
        report_ = run_evaluation(req_.eval, cancelled_.get());
    }
    void OnOK() override {
        Napi::Env env = Env();
        const EvalResult & r = report_.result;
        const bool val = req_.eval.split == EvalSplit::val;
        Napi::Object o = Napi::Object::New(env);
        o.Set("tokens", double(r.tokens));
        o.Set("loss", r.loss);
        o.Set("bitsPerChar", r.bits_per_char);
        o.Set("tokensPerSec", r.tokens_per_sec);
        o.Set("msPerToken", r.ms_per_token);
        o.Set("meanPasses", r.mean_passes);
        o.Set("seconds", r.seconds);
        o.Set("passes", r.passes);
        o.Set("adaptive", r.adaptive);
        o.Set("seqLen", r.seq_len);
        o.Set("windows", double(r.windows));
        o.Set("split", eval_split_name(req_.eval.split));
        o.Set("valFraction", val ? Napi::Value(Napi::Number::New(env, report_.val_fraction)) : env.Null());
        o.Set("dataTokens", double(report_.data_tokens));
        o.Set("dataIsTrainingData", report_.data_is_training_data
                                        ? Napi::Value(Napi::Boolean::New(env, *report_.data_is_training_data))
                                        : env.Null());
        o.Set("threads", threads_);
        deferred_.Resolve(o);
    }
    void OnError(const Napi::Error &) override { deferred_.Reject(engine_error(Env(), failure_).Value()); }

private:
    EvaluateRequest req_;
    std::shared_ptr<std::atomic<bool>> cancelled_;
    EvalReport report_;
    int threads_ = 0;
    EngineFailure failure_;
    Napi::Promise::Deferred deferred_;
};

std::string require_string(const Napi::Object & o, const char * key) {
    std::optional<std::string> s = get_string(o, key);
    if (!s || s->empty()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a non-empty string");
    return *s;
}

}  // namespace

Napi::Value evaluate(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object o = require_object(info[0], "the evaluation request");
    refuse_unknown_keys(o, "the evaluation request",
                        {"checkpointPath", "dataPath", "split", "passes", "adaptive", "klThreshold", "valFraction",
                         "batchSize", "seqLen", "threads"});
    EvaluateRequest req;
    EvalRequest & e = req.eval;
    e.checkpoint_path = require_string(o, "checkpointPath");
    e.data_path = require_string(o, "dataPath");
    const std::string split = get_string(o, "split").value_or("val");
    if (split != "val" && split != "all") throw Napi::RangeError::New(env, "split must be 'val' or 'all' (got '" + split + "')");
    e.split = eval_split_from_name(split);
    e.config.passes = get_int(o, "passes", 0, int(limits::max_passes.max)).value_or(0);
    e.config.adaptive = get_bool(o, "adaptive").value_or(false);
    if (std::optional<double> kl = get_number(o, "klThreshold", 0, std::numeric_limits<float>::max())) {
        if (!(*kl > 0)) throw Napi::RangeError::New(env, "klThreshold must be positive (1e-3 stops once the distribution barely moves)");
        e.config.kl_threshold = float(*kl);
    }
    if (std::optional<double> vf = get_number(o, "valFraction", 0, 0.5)) {
        if (!(*vf > 0 && *vf < 0.5)) throw Napi::RangeError::New(env, "valFraction must be in (0, 0.5)");
        e.val_fraction = float(*vf);
    }
    e.config.batch_size = get_int(o, "batchSize", int(limits::batch_size.min), int(limits::batch_size.max)).value_or(16);
    e.config.seq_len = get_int(o, "seqLen", 0, int(limits::seq_len.max)).value_or(0);
    req.threads = get_int(o, "threads", 0, 1024).value_or(0);

    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    auto * worker = new EvaluateWorker(env, std::move(req), cancelled);
    Napi::Object job = cancellable_job(env, worker->promise(), cancelled);
    worker->Queue();
    return job;
}

}  // namespace mg::binding
