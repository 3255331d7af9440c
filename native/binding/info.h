// Engine facts for the UI: version, build, presets and parameter counts.
#pragma once
#include <napi.h>

namespace mg::binding {

Napi::Value version(const Napi::CallbackInfo & info);     // "0.1.0"
Napi::Value build_info(const Napi::CallbackInfo & info);  // { version, kernels, arch, compiler, openmp, threads, napiVersion }
Napi::Value presets(const Napi::CallbackInfo & info);     // [{ name, model }]
Napi::Value count_params(const Napi::CallbackInfo & info);  // (model config incl. vocabSize) -> number

}  // namespace mg::binding
