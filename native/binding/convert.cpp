#include "convert.h"

#include <cmath>

#include "core/error.h"
#include "model/limits.h"

namespace mg::binding {

Napi::Object require_object(const Napi::Value & v, const char * what) {
    if (!v.IsObject() || v.IsArray() || v.IsFunction())
        throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an object");
    return v.As<Napi::Object>();
}

Napi::Function require_function(const Napi::Value & v, const char * what) {
    if (!v.IsFunction()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a function");
    return v.As<Napi::Function>();
}

static bool present(const Napi::Object & o, const char * key) {
    if (!o.Has(key)) return false;
    Napi::Value v = o.Get(key);
    return !v.IsUndefined() && !v.IsNull();
}

std::optional<std::string> get_string(const Napi::Object & o, const char * key) {
    if (!present(o, key)) return std::nullopt;
    Napi::Value v = o.Get(key);
    if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
    return v.As<Napi::String>().Utf8Value();
}

std::optional<double> get_number(const Napi::Object & o, const char * key, double min, double max) {
    if (!present(o, key)) return std::nullopt;
    Napi::Value v = o.Get(key);
    if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(d) || d < min || d > max)
        throw Napi::RangeError::New(o.Env(), std::string(key) + " must be between " + std::to_string(min) + " and " +
                                                 std::to_string(max) + " (got " + std::to_string(d) + ")");
    return d;
}

std::optional<int> get_int(const Napi::Object & o, const char * key, int min, int max) {
    std::optional<double> d = get_number(o, key, min, max);
    if (!d) return std::nullopt;
    if (*d != std::floor(*d)) throw Napi::RangeError::New(o.Env(), std::string(key) + " must be a whole number");
    return int(*d);
}

std::optional<bool> get_bool(const Napi::Object & o, const char * key) {
    if (!present(o, key)) return std::nullopt;
    Napi::Value v = o.Get(key);
    if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a boolean");
    return v.As<Napi::Boolean>().Value();
}

template <typename T, typename U> static void set_if(std::optional<U> v, T & field) {
    if (v) field = T(*v);
}

// JS names of the engine's fields; their bounds are the engine's own (model/limits.h)
static std::optional<int> get_field(const Napi::Object & o, const char * key, const FieldLimit & lim) {
    return get_int(o, key, int(lim.min), int(lim.max));
}

void apply_model_fields(const Napi::Object & o, ModelConfig & c) {
    set_if(get_field(o, "embedDim", limits::embed_dim), c.embed_dim);
    set_if(get_field(o, "numLayers", limits::num_layers), c.num_layers);
    set_if(get_field(o, "numHeads", limits::num_heads), c.num_heads);
    set_if(get_field(o, "maxSeqLen", limits::max_seq_len), c.max_seq_len);
    set_if(get_field(o, "hiddenDim", limits::hidden_dim), c.hidden_dim);
    set_if(get_field(o, "preludeLayers", limits::prelude_layers), c.prelude_layers);
    set_if(get_field(o, "codaLayers", limits::coda_layers), c.coda_layers);
    set_if(get_number(o, "meanPasses", 1, limits::kMaxMeanPasses), c.mean_passes);
    set_if(get_field(o, "maxPasses", limits::max_passes), c.max_passes);
    set_if(get_field(o, "backpropPasses", limits::backprop_passes), c.backprop_passes);
}

void apply_train_fields(const Napi::Object & o, TrainConfig & c) {
    set_if(get_field(o, "steps", limits::steps), c.steps);
    set_if(get_field(o, "batchSize", limits::batch_size), c.batch_size);
    set_if(get_field(o, "seqLen", limits::seq_len), c.seq_len);
    set_if(get_field(o, "gradAccum", limits::grad_accum), c.grad_accum);
    set_if(get_number(o, "lr", 1e-9, 1), c.lr);
    set_if(get_number(o, "minLr", 0, 1), c.min_lr);
    set_if(get_field(o, "warmupSteps", limits::warmup_steps), c.warmup_steps);
    set_if(get_number(o, "weightDecay", 0, 1), c.weight_decay);
    set_if(get_number(o, "beta1", 0, 1), c.beta1);
    set_if(get_number(o, "beta2", 0, 1), c.beta2);
    set_if(get_number(o, "gradClip", 0, 1e6), c.grad_clip);
    set_if(get_field(o, "evalInterval", limits::eval_interval), c.eval_interval);
    set_if(get_field(o, "evalBatches", limits::eval_batches), c.eval_batches);
    set_if(get_number(o, "valFraction", 0, 0.5), c.val_fraction);
    set_if(get_number(o, "seed", 0, 9007199254740991.0), c.seed);
}

void apply_generate_fields(const Napi::Object & o, GenerateConfig & c) {
    set_if(get_int(o, "maxTokens", 1, 1000000), c.max_tokens);
    set_if(get_number(o, "temperature", 0, 10), c.sampler.temperature);
    set_if(get_int(o, "topK", 0, 1000000), c.sampler.top_k);
    set_if(get_number(o, "topP", 0, 1), c.sampler.top_p);
    set_if(get_number(o, "repetitionPenalty", 1, 10), c.sampler.repetition_penalty);
    set_if(get_int(o, "repetitionWindow", 0, 1000000), c.sampler.repetition_window);
    set_if(get_number(o, "seed", 0, 9007199254740991.0), c.sampler.seed);
    set_if(get_int(o, "passes", 0, 64), c.passes);
    set_if(get_bool(o, "adaptive"), c.adaptive);
    set_if(get_number(o, "klThreshold", 0, 1e6), c.kl_threshold);
    if (std::optional<std::string> w = get_string(o, "weights")) {
        if (*w != "fp16" && *w != "fp32") throw Napi::RangeError::New(o.Env(), "weights must be 'fp16' or 'fp32' (got '" + *w + "')");
        c.weights = decode_weights_from_name(*w);
    }
    if (present(o, "stop")) {
        Napi::Value v = o.Get("stop");
        if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), "stop must be an array of strings");
        Napi::Array a = v.As<Napi::Array>();
        c.stop.clear();
        for (uint32_t i = 0; i < a.Length(); i++) {
            Napi::Value s = a.Get(i);
            if (!s.IsString()) throw Napi::TypeError::New(o.Env(), "stop must be an array of strings");
            std::string str = s.As<Napi::String>().Utf8Value();
            if (str.empty()) throw Napi::RangeError::New(o.Env(), "a stop string cannot be empty");
            c.stop.push_back(str);
        }
    }
}

Napi::Object model_config_to_js(Napi::Env env, const ModelConfig & c) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("vocabSize", c.vocab_size);
    o.Set("embedDim", c.embed_dim);
    o.Set("numLayers", c.num_layers);
    o.Set("numHeads", c.num_heads);
    o.Set("maxSeqLen", c.max_seq_len);
    o.Set("hiddenDim", c.hidden_dim);
    o.Set("preludeLayers", c.prelude_layers);
    o.Set("codaLayers", c.coda_layers);
    o.Set("meanPasses", c.mean_passes);
    o.Set("maxPasses", c.max_passes);
    o.Set("backpropPasses", c.backprop_passes);
    return o;
}

Napi::Object step_stats_to_js(Napi::Env env, const StepStats & s) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("step", s.step);
    o.Set("steps", s.steps);
    o.Set("passes", s.passes);
    o.Set("trainLoss", s.train_loss);
    o.Set("valLoss", s.val_loss >= 0 ? Napi::Value(Napi::Number::New(env, s.val_loss)) : env.Null());
    o.Set("lr", s.lr);
    o.Set("gradNorm", s.grad_norm);
    o.Set("tokensPerSec", s.tokens_per_sec);
    o.Set("etaSeconds", s.eta_seconds);
    return o;
}

bool run_catching(const std::function<void()> & fn, EngineFailure & failure) {
    try {
        fn();
        return true;
    } catch (const mg::error & e) {
        failure = {e.message, e.hint, e.code};
    } catch (const std::bad_alloc &) {
        failure = {"out of memory", "use a smaller preset, batch size or sequence length", errc::kOutOfMemory};
    } catch (const std::exception & e) {
        failure = {e.what(), "", ""};
    }
    return false;
}

Napi::Error engine_error(Napi::Env env, const EngineFailure & f) {
    Napi::Error e = Napi::Error::New(env, f.message);
    e.Set("code", f.code.empty() ? "ENGINE_ERROR" : f.code);
    if (!f.hint.empty()) e.Set("hint", f.hint);
    return e;
}

}  // namespace mg::binding
