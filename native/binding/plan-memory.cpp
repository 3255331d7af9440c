#include "plan-memory.h"

#include "convert.h"
#include "core/host-memory.h"
#include "model/gpt.h"
#include "train/memory-plan.h"

namespace mg::binding {

Napi::Value plan_memory(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object o = require_object(info[0], "the memory plan request");
    refuse_unknown_keys(o, "the memory plan request", {"model", "train", "dataBytes", "dataTokens", "threads"});
    const ModelConfig model = model_from_js(o.Get("model"));
    const TrainConfig train = train_from_js(o.Get("train"), model);
    const double max_bytes = 9007199254740991.0;
    const size_t data_bytes = size_t(get_number(o, "dataBytes", 0, max_bytes).value_or(0));
    const size_t data_tokens = size_t(get_number(o, "dataTokens", 0, max_bytes).value_or(0));
    const int threads = get_int(o, "threads", 0, 1024).value_or(0);  // as a TrainingJob takes them

    MemoryPlan p;
    HostMemory host;
    EngineFailure failure;
    if (!run_catching([&] { p = plan_training_memory(model, train, data_bytes, data_tokens, threads), host = probe_host_memory(); }, failure))
        throw engine_error(env, failure);
    Napi::Object r = Napi::Object::New(env);
    r.Set("model", model_config_to_js(env, model));
    r.Set("params", double(gpt_count_params(model)));
    r.Set("batchSize", p.batch_size);
    r.Set("seqLen", p.seq_len);
    r.Set("weights", double(p.weights));
    r.Set("gradients", double(p.gradients));
    r.Set("optimizer", double(p.optimizer));
    r.Set("activations", double(p.activations));
    r.Set("scratch", double(p.scratch));
    r.Set("data", double(p.data));
    r.Set("total", double(p.total));
    r.Set("availableBytes", host.known ? Napi::Value(Napi::Number::New(env, double(host.available))) : env.Null());
    return r;
}

}  // namespace mg::binding
