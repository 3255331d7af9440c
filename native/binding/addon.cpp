// The Node-API addon: registration only. Each class and function lives in its own file.
#include <napi.h>

#include "calibrate.h"
#include "convert.h"
#include "evaluate.h"
#include "info.h"
#include "model-handle.h"
#include "plan-memory.h"
#include "training-job.h"

namespace {

struct AddonData {
    Napi::FunctionReference model_constructor;
};

Napi::Object init(Napi::Env env, Napi::Object exports) {
    auto * data = new AddonData();
    env.SetInstanceData(data);
    exports.Set("version", Napi::Function::New(env, mg::binding::version));
    exports.Set("buildInfo", Napi::Function::New(env, mg::binding::build_info));
    exports.Set("presets", Napi::Function::New(env, mg::binding::presets));
    exports.Set("countParams", Napi::Function::New(env, mg::binding::count_params));
    exports.Set("fieldSpecs", Napi::Function::New(env, mg::binding::field_specs));
    exports.Set("planMemory", Napi::Function::New(env, mg::binding::plan_memory));
    exports.Set("calibrate", Napi::Function::New(env, mg::binding::calibrate));
    exports.Set("evaluate", Napi::Function::New(env, mg::binding::evaluate));
    exports.Set("TrainingJob", mg::binding::TrainingJob::define(env));
    exports.Set("Model", mg::binding::ModelHandle::define(env, &data->model_constructor));
    exports.Set("loadModel", Napi::Function::New(env, mg::binding::ModelHandle::load));
    return exports;
}

}  // namespace

NODE_API_MODULE(microgpt, init)
