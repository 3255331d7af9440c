#include "info.h"

#include <omp.h>

#include "convert.h"
#include "core/error.h"
#include "kernels/dispatch.h"
#include "model/gpt.h"

namespace mg::binding {

Napi::Value version(const Napi::CallbackInfo & info) { return Napi::String::New(info.Env(), MG_VERSION); }

Napi::Value build_info(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("version", MG_VERSION);
    o.Set("kernels", MG_KERNELS_ISA);
#if defined(__aarch64__)
    o.Set("arch", "arm64");
#elif defined(__x86_64__)
    o.Set("arch", "x64");
#else
    o.Set("arch", "other");
#endif
    o.Set("compiler", std::string("g++ ") + __VERSION__);
    o.Set("openmp", _OPENMP);
    o.Set("threads", omp_get_max_threads());
    o.Set("napiVersion", NAPI_VERSION);
    o.Set("cppStandard", double(__cplusplus));
    return o;
}

Napi::Value presets(const Napi::CallbackInfo & info) {
    Napi::Env env = info.Env();
    Napi::Array a = Napi::Array::New(env);
    uint32_t i = 0;
    for (const std::string & name : model_preset_names()) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("name", name);
        o.Set("model", model_config_to_js(env, model_preset(name)));
        a.Set(i++, o);
    }
    return a;
}

Napi::Value count_params(const Napi::CallbackInfo & info) {
    Napi::Object o = require_object(info[0], "the model config");
    ModelConfig c = model_preset("8gb");
    if (auto preset = get_string(o, "preset")) {
        try {
            c = model_preset(*preset);
        } catch (const mg::error & e) {
            throw Napi::RangeError::New(info.Env(), e.message);
        }
    }
    apply_model_fields(o, c);
    c.vocab_size = get_int(o, "vocabSize", 1, 1 << 24).value_or(0);
    try {
        validate_config(c);
    } catch (const mg::error & e) {
        throw Napi::RangeError::New(info.Env(), e.message + (e.hint.empty() ? "" : " (" + e.hint + ")"));
    }
    return Napi::Number::New(info.Env(), double(gpt_count_params(c)));
}

}  // namespace mg::binding
