#include "calibrate.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <limits>
#include <vector>

#include "convert.h"
#include "core/host-memory.h"
#include "core/rng.h"
#include "model/gpt.h"
#include "train/memory-plan.h"
#include "train/trainer.h"

namespace mg::binding {

namespace {

struct CalibrateRequest {
    ModelConfig model;
    TrainConfig train;
    double seconds = 2;
    int threads = 0;
};

struct CalibrateResult {
    double tokens_per_sec = 0, seconds_per_step = 0, seconds = 0;
    int steps = 0, threads = 0;
};

CalibrateResult run_calibration(const CalibrateRequest & req) {
    if (req.threads > 0) omp_set_num_threads(req.threads);
    const ModelConfig & mc = req.model;
    TrainConfig tc = req.train;
    tc.steps = INT_MAX;     // the schedule never ends while we measure
    tc.eval_interval = 0;   // and no evaluation falls inside the measurement
    // random tokens have no lines: a step of lines as sequences does the same work on rows of
    // seq_len (the caller gives the longest line's), so the split does not matter here
    tc.split_lines = tc.line_sequences = false;
    const int T = sequence_length(mc, tc);
    // random tokens over the whole vocabulary: enough windows for the Trainer's split (the val
    // part holds at least one, the train part a few); what they say does not change the work
    std::vector<int> tokens(size_t(8) * (T + 2));
    Rng rng(tc.seed);
    for (int & t : tokens) t = int(rng.below(uint32_t(mc.vocab_size)));

    const HostMemory host = probe_host_memory();
    if (host.known)
        check_training_memory(mc, tc, 0, tokens.size(), uint64_t(tokens.size()) * sizeof(int), host.available,
                              host.source, true);
    GPT model;
    gpt_build(model, mc);
    gpt_init_weights(model, tc.seed);
    Trainer trainer(model, tc, tokens);
    trainer.step();  // warm-up

    using clock = std::chrono::steady_clock;
    const clock::time_point start = clock::now();
    CalibrateResult r;
    do {
        trainer.step();
        r.steps++;
        r.seconds = std::chrono::duration<double>(clock::now() - start).count();
    } while (r.seconds < req.seconds);
    const double tokens_per_step = double(tc.batch_size) * T * tc.grad_accum;
    r.tokens_per_sec = tokens_per_step * r.steps / r.seconds;
    r.seconds_per_step = r.seconds / r.steps;
    r.threads = omp_get_max_threads();
    return r;
}

class CalibrateWorker : public Napi::AsyncWorker {
public:
    CalibrateWorker(Napi::Env env, CalibrateRequest req)
        : Napi::AsyncWorker(env, "microgpt.calibrate"), req_(std::move(req)), deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise promise() { return deferred_.Promise(); }

    void Execute() override {
        if (!run_catching([&] { result_ = run_calibration(req_); }, failure_)) SetError(failure_.message);
        release_thread_team();
    }
    void OnOK() override {
        Napi::Env env = Env();
        Napi::Object o = Napi::Object::New(env);
        o.Set("tokensPerSec", result_.tokens_per_sec);
        o.Set("secondsPerStep", result_.seconds_per_step);
        o.Set("steps", result_.steps);
        o.Set("seconds", result_.seconds);
        o.Set("threads", result_.threads);
        deferred_.Resolve(o);
    }
    void OnError(const Napi::Error &) override { deferred_.Reject(engine_error(Env(), failure_).Value()); }

private:
    CalibrateRequest req_;
    CalibrateResult result_;
    EngineFailure failure_;
    Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value calibrate(const Napi::CallbackInfo & info) {
    Napi::Object o = require_object(info[0], "the calibration request");
    refuse_unknown_keys(o, "the calibration request", {"model", "train", "seconds", "threads"});
    CalibrateRequest req;
    req.model = model_from_js(o.Get("model"));
    req.train = train_from_js(o.Get("train"), req.model);
    req.seconds = std::clamp(get_number(o, "seconds", 0, std::numeric_limits<double>::max()).value_or(2), 0.2, 10.0);
    req.threads = get_int(o, "threads", 0, 1024).value_or(0);
    auto * worker = new CalibrateWorker(info.Env(), std::move(req));
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
}

}  // namespace mg::binding
