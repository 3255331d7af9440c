#include "convert.h"

#include <algorithm>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "core/error.h"
#include "model/decoder.h"
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

// ----------------------------------------------------------------------------
// the field tables: every field a model, a training run and a sampling request has, written
// once. apply_*_fields read them, model_config_to_js writes them, fieldSpecs() reports them, and
// a test (tests/unit/native/fields.test.ts) holds them equal to
// electron/common/fields.ts. Integer bounds are the engine's own (model/limits.h).

namespace {

// Where a field's value lives in its config; the pointer's type is the field's kind:
// int: a whole number; float, uint64_t: a number; bool; DecodeWeights: a choice; strings.
using Slot = std::variant<int *, float *, uint64_t *, bool *, DecodeWeights *, std::vector<std::string> *>;
enum class FieldKind { Int, Number, Bool, Choice, Strings };
const char * const kKindNames[] = {"int", "number", "bool", "choice", "strings"};

template <typename Config> struct Field {
    const char * key;  // camelCase, as JavaScript spells it
    double min, max;   // numbers
    Slot (*slot)(Config & c);
    std::vector<const char *> choices;  // a choice's names

    Field(const char * k, const FieldLimit & lim, Slot (*s)(Config &)) : key(k), min(double(lim.min)), max(double(lim.max)), slot(s) {}
    Field(const char * k, double lo, double hi, Slot (*s)(Config &)) : key(k), min(lo), max(hi), slot(s) {}
    Field(const char * k, Slot (*s)(Config &), std::vector<const char *> names = {}) : key(k), min(0), max(0), slot(s), choices(std::move(names)) {}

    FieldKind kind() const {
        Config probe;
        const Slot where = slot(probe);
        if (std::holds_alternative<int *>(where)) return FieldKind::Int;
        if (std::holds_alternative<float *>(where) || std::holds_alternative<uint64_t *>(where)) return FieldKind::Number;
        if (std::holds_alternative<bool *>(where)) return FieldKind::Bool;
        return std::holds_alternative<DecodeWeights *>(where) ? FieldKind::Choice : FieldKind::Strings;
    }
};

constexpr double kSafeInteger = 9007199254740991.0;  // 2^53 - 1: the largest seed a JS number holds exactly

const std::vector<Field<ModelConfig>> & model_table() {
    using F = Field<ModelConfig>;
    using C = ModelConfig;
    static const std::vector<F> t = {
        F("embedDim",       limits::embed_dim,       [](C & c) -> Slot { return &c.embed_dim; }),
        F("numLayers",      limits::num_layers,      [](C & c) -> Slot { return &c.num_layers; }),
        F("numHeads",       limits::num_heads,       [](C & c) -> Slot { return &c.num_heads; }),
        F("maxSeqLen",      limits::max_seq_len,     [](C & c) -> Slot { return &c.max_seq_len; }),
        F("hiddenDim",      limits::hidden_dim,      [](C & c) -> Slot { return &c.hidden_dim; }),
        F("preludeLayers",  limits::prelude_layers,  [](C & c) -> Slot { return &c.prelude_layers; }),
        F("codaLayers",     limits::coda_layers,     [](C & c) -> Slot { return &c.coda_layers; }),
        F("meanPasses",     1, limits::kMaxMeanPasses, [](C & c) -> Slot { return &c.mean_passes; }),
        F("maxPasses",      limits::max_passes,      [](C & c) -> Slot { return &c.max_passes; }),
        F("backpropPasses", limits::backprop_passes, [](C & c) -> Slot { return &c.backprop_passes; }),
    };
    return t;
}

// the bounds of validate_train_config where it has none of limits.h (it refuses some ends too:
// lr and the betas below 1, valFraction above 0, minLr at most lr; fields.ts says them)
const std::vector<Field<TrainConfig>> & train_table() {
    using F = Field<TrainConfig>;
    using C = TrainConfig;
    static const std::vector<F> t = {
        F("steps",        limits::steps,         [](C & c) -> Slot { return &c.steps; }),
        F("batchSize",    limits::batch_size,    [](C & c) -> Slot { return &c.batch_size; }),
        F("seqLen",       limits::seq_len,       [](C & c) -> Slot { return &c.seq_len; }),
        F("gradAccum",    limits::grad_accum,    [](C & c) -> Slot { return &c.grad_accum; }),
        F("lr",           1e-9, 1,               [](C & c) -> Slot { return &c.lr; }),
        F("minLr",        0, 1,                  [](C & c) -> Slot { return &c.min_lr; }),
        F("warmupSteps",  limits::warmup_steps,  [](C & c) -> Slot { return &c.warmup_steps; }),
        F("weightDecay",  0, 1,                  [](C & c) -> Slot { return &c.weight_decay; }),
        F("beta1",        0, 1,                  [](C & c) -> Slot { return &c.beta1; }),
        F("beta2",        0, 1,                  [](C & c) -> Slot { return &c.beta2; }),
        F("gradClip",     0, 1e6,                [](C & c) -> Slot { return &c.grad_clip; }),
        F("dropout",      0, 1,                  [](C & c) -> Slot { return &c.dropout; }),
        F("evalInterval", limits::eval_interval, [](C & c) -> Slot { return &c.eval_interval; }),
        F("evalBatches",  limits::eval_batches,  [](C & c) -> Slot { return &c.eval_batches; }),
        F("valFraction",  0, 0.5,                [](C & c) -> Slot { return &c.val_fraction; }),
        F("splitLines",                          [](C & c) -> Slot { return &c.split_lines; }),
        F("lineSequences",                       [](C & c) -> Slot { return &c.line_sequences; }),
        F("seed",         0, kSafeInteger,       [](C & c) -> Slot { return &c.seed; }),
    };
    return t;
}

// the bounds of validate_generate_config and validate_sampler_config
const std::vector<Field<GenerateConfig>> & sampling_table() {
    using F = Field<GenerateConfig>;
    using C = GenerateConfig;
    static const std::vector<F> t = {
        F("maxTokens",         1, 1e6,          [](C & c) -> Slot { return &c.max_tokens; }),
        F("temperature",       0, 10,           [](C & c) -> Slot { return &c.sampler.temperature; }),
        F("topK",              0, 1e6,          [](C & c) -> Slot { return &c.sampler.top_k; }),
        F("topP",              0, 1,            [](C & c) -> Slot { return &c.sampler.top_p; }),
        F("repetitionPenalty", 1, 10,           [](C & c) -> Slot { return &c.sampler.repetition_penalty; }),
        F("repetitionWindow",  0, 1e6,          [](C & c) -> Slot { return &c.sampler.repetition_window; }),
        F("seed",              0, kSafeInteger, [](C & c) -> Slot { return &c.sampler.seed; }),
        F("passes",            0, 64,           [](C & c) -> Slot { return &c.passes; }),
        F("adaptive",                           [](C & c) -> Slot { return &c.adaptive; }),
        F("klThreshold",       0, 1e6,          [](C & c) -> Slot { return &c.kl_threshold; }),
        F("weights",                            [](C & c) -> Slot { return &c.weights; }, {"fp16", "fp32"}),
        F("stop",                               [](C & c) -> Slot { return &c.stop; }),
    };
    return t;
}

template <class... F> struct overloaded : F... { using F::operator()...; };
template <class... F> overloaded(F...) -> overloaded<F...>;

// Reads the field from `o` into `c`, checked against its kind and bounds; absent: nothing.
template <typename Config> void read_field(const Napi::Object & o, const Field<Config> & f, Config & c) {
    if (!present(o, f.key)) return;
    const Napi::Env env = o.Env();
    std::visit(overloaded{
                   [&](int * p) { *p = *get_int(o, f.key, int(f.min), int(f.max)); },
                   [&](float * p) { *p = float(*get_number(o, f.key, f.min, f.max)); },
                   [&](uint64_t * p) { *p = uint64_t(*get_number(o, f.key, f.min, f.max)); },
                   [&](bool * p) { *p = *get_bool(o, f.key); },
                   [&](DecodeWeights * p) {
                       const std::string v = *get_string(o, f.key);
                       std::string list;
                       for (const char * name : f.choices) {
                           if (v == name) return void(*p = decode_weights_from_name(v));
                           list += std::string(list.empty() ? "'" : ", '") + name + "'";
                       }
                       throw Napi::RangeError::New(env, std::string(f.key) + " must be one of " + list + " (got '" + v + "')");
                   },
                   [&](std::vector<std::string> * p) {
                       Napi::Value a = o.Get(f.key);
                       const std::string must = std::string(f.key) + " must be an array of strings";
                       if (!a.IsArray()) throw Napi::TypeError::New(env, must);
                       Napi::Array arr = a.As<Napi::Array>();
                       std::vector<std::string> out;
                       for (uint32_t i = 0; i < arr.Length(); i++) {
                           Napi::Value s = arr.Get(i);
                           if (!s.IsString()) throw Napi::TypeError::New(env, must);
                           out.push_back(s.As<Napi::String>().Utf8Value());
                           if (out.back().empty())
                               throw Napi::RangeError::New(env, std::string("a string of ") + f.key + " cannot be empty");
                       }
                       *p = std::move(out);
                   },
               },
               f.slot(c));
}

// The config's value of each field, under its key.
template <typename Config> void write_fields(Napi::Object & o, const std::vector<Field<Config>> & table, Config c) {
    const Napi::Env env = o.Env();
    for (const Field<Config> & f : table)
        o.Set(f.key, std::visit(overloaded{
                                    [&](int * p) -> Napi::Value { return Napi::Number::New(env, *p); },
                                    [&](float * p) -> Napi::Value { return Napi::Number::New(env, *p); },
                                    [&](uint64_t * p) -> Napi::Value { return Napi::Number::New(env, double(*p)); },
                                    [&](bool * p) -> Napi::Value { return Napi::Boolean::New(env, *p); },
                                    [&](DecodeWeights * p) -> Napi::Value { return Napi::String::New(env, decode_weights_name(*p)); },
                                    [&](std::vector<std::string> * p) -> Napi::Value {
                                        Napi::Array a = Napi::Array::New(env, p->size());
                                        for (uint32_t i = 0; i < p->size(); i++) a.Set(i, (*p)[i]);
                                        return a;
                                    },
                                },
                                f.slot(c)));
}

// Refuses a key that is none of `known` (a misspelt field would otherwise be ignored without a
// word); an undefined value counts as absent, as it does in fields.ts.
void refuse_keys(const Napi::Object & o, const char * what, const std::vector<const char *> & known) {
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); i++) {
        const std::string k = keys.Get(i).ToString().Utf8Value();
        if (std::none_of(known.begin(), known.end(), [&](const char * x) { return k == x; }) && !o.Get(k).IsUndefined())
            throw Napi::TypeError::New(o.Env(), std::string(what) + " has no field '" + k + "'");
    }
}

template <typename Config>
void apply_fields(const Napi::Object & o, const std::vector<Field<Config>> & table, Config & c, const char * what,
                  std::initializer_list<const char *> other_keys) {
    std::vector<const char *> known(other_keys);
    for (const Field<Config> & f : table) known.push_back(f.key);
    refuse_keys(o, what, known);
    for (const Field<Config> & f : table) read_field(o, f, c);
}

// A number field's value in a default-constructed config: what the engine uses when a request
// leaves the field out. A float is reported at its 7 significant digits (0.8f as 0.8).
template <typename Config> double default_of(const Field<Config> & f) {
    Config fresh;
    return std::visit(overloaded{
                          [](int * p) { return double(*p); },
                          [](float * p) {
                              char buf[32];
                              std::snprintf(buf, sizeof buf, "%.7g", double(*p));
                              return std::strtod(buf, nullptr);
                          },
                          [](uint64_t * p) { return double(*p); },
                          [](auto *) { return 0.0; },
                      },
                      f.slot(fresh));
}

// with_defaults: the sampling table's defaults are the engine's (the C++ structs); the model and
// training tables' defaults come from the presets instead, so none are reported for them.
template <typename Config>
Napi::Array specs_to_js(Napi::Env env, const std::vector<Field<Config>> & table, bool with_defaults = false) {
    Napi::Array a = Napi::Array::New(env, table.size());
    for (uint32_t i = 0; i < table.size(); i++) {
        const Field<Config> & f = table[i];
        const FieldKind kind = f.kind();
        Napi::Object o = Napi::Object::New(env);
        o.Set("key", f.key);
        o.Set("kind", kKindNames[int(kind)]);
        if (kind == FieldKind::Int || kind == FieldKind::Number) {
            o.Set("min", f.min);
            o.Set("max", f.max);
            if (with_defaults) o.Set("engineDefault", default_of(f));
        }
        if (kind == FieldKind::Choice) {
            Napi::Array choices = Napi::Array::New(env, f.choices.size());
            for (uint32_t j = 0; j < f.choices.size(); j++) choices.Set(j, f.choices[j]);
            o.Set("choices", choices);
        }
        a.Set(i, o);
    }
    return a;
}

}  // namespace

void refuse_unknown_keys(const Napi::Object & o, const char * what, std::initializer_list<const char *> keys) {
    refuse_keys(o, what, std::vector<const char *>(keys));
}

void apply_model_fields(const Napi::Object & o, ModelConfig & c) {
    apply_fields(o, model_table(), c, "model", {"preset", "vocabSize"});
}

void apply_train_fields(const Napi::Object & o, TrainConfig & c) { apply_fields(o, train_table(), c, "train", {}); }

void apply_generate_fields(const Napi::Object & o, GenerateConfig & c, std::initializer_list<const char *> other_keys) {
    apply_fields(o, sampling_table(), c, "the generation request", other_keys);
}

Napi::Value field_specs(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("model", specs_to_js(env, model_table()));
    o.Set("train", specs_to_js(env, train_table()));
    o.Set("sampling", specs_to_js(env, sampling_table(), true));
    return o;
}

// Runs an engine check on the JS thread: its error (the caller's mistake) as a RangeError.
static void check_request(Napi::Env env, const std::function<void()> & check) {
    try {
        check();
    } catch (const mg::error & e) {
        throw Napi::RangeError::New(env, e.message + (e.hint.empty() ? "" : " (" + e.hint + ")"));
    }
}

ModelConfig model_from_js(const Napi::Value & v) {
    Napi::Object o = require_object(v, "model");
    ModelConfig c;
    check_request(v.Env(), [&] { c = model_preset(get_string(o, "preset").value_or("8gb")); });
    apply_model_fields(o, c);
    c.vocab_size = get_int(o, "vocabSize", 1, 1 << 24).value_or(0);
    check_request(v.Env(), [&] { validate_config(c); });
    return c;
}

int sequence_length(const ModelConfig & model, const TrainConfig & train) {
    return train.seq_len > 0 ? train.seq_len : model.max_seq_len;
}

TrainConfig train_from_js(const Napi::Value & v, const ModelConfig & model) {
    TrainConfig c;
    if (!v.IsUndefined()) apply_train_fields(require_object(v, "train"), c);
    check_request(v.Env(), [&] {
        validate_train_config(c);
        if (sequence_length(model, c) > model.max_seq_len)
            MG_THROW_HINT("seqLen " + std::to_string(c.seq_len) + " exceeds the model's context length " +
                              std::to_string(model.max_seq_len),
                          "lower seqLen or raise maxSeqLen");
    });
    return c;
}

Napi::Object model_config_to_js(Napi::Env env, const ModelConfig & c) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("vocabSize", c.vocab_size);
    write_fields(o, model_table(), c);
    return o;
}

Napi::Object train_config_to_js(Napi::Env env, const TrainConfig & c, int seq_len) {
    Napi::Object o = Napi::Object::New(env);
    write_fields(o, train_table(), c);
    o.Set("seqLen", seq_len);  // as trained: 0 in the config means the model's context
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

void release_thread_team() { omp_pause_resource_all(omp_pause_soft); }

Napi::Object cancellable_job(Napi::Env env, Napi::Promise done, std::shared_ptr<std::atomic<bool>> cancelled) {
    Napi::Object job = Napi::Object::New(env);
    job.Set("done", done);
    job.Set("cancel", Napi::Function::New(env, [cancelled](const Napi::CallbackInfo & ci) {
                cancelled->store(true);
                return ci.Env().Undefined();
            }));
    return job;
}

Napi::Error engine_error(Napi::Env env, const EngineFailure & f) {
    Napi::Error e = Napi::Error::New(env, f.message);
    e.Set("code", f.code.empty() ? "ENGINE_ERROR" : f.code);
    if (!f.hint.empty()) e.Set("hint", f.hint);
    return e;
}

}  // namespace mg::binding
