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
        Napi::Object train = Napi::Object::New(env);  // what a new model of the preset trains with unless told
        train.Set("lr", preset_learning_rate(name));
        o.Set("train", train);
        a.Set(i++, o);
    }
    return a;
}

Napi::Value count_params(const Napi::CallbackInfo & info) {
    return Napi::Number::New(info.Env(), double(gpt_count_params(model_from_js(info[0]))));
}

}  // namespace mg::binding
