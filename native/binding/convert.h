// Plain JavaScript objects to engine structs and back. Every getter checks the type and range
// of its field and throws Napi::TypeError / Napi::RangeError naming it, so a bad request from
// JavaScript is an exception there, never a crash here.
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "generate/generate.h"
#include "model/config.h"
#include "train/config.h"
#include "train/trainer.h"

namespace mg::binding {

Napi::Object require_object(const Napi::Value & v, const char * what);
std::optional<std::string> get_string(const Napi::Object & o, const char * key);
std::optional<double> get_number(const Napi::Object & o, const char * key, double min, double max);
std::optional<int> get_int(const Napi::Object & o, const char * key, int min, int max);
std::optional<bool> get_bool(const Napi::Object & o, const char * key);
Napi::Function require_function(const Napi::Value & v, const char * what);

// Applies the fields present in `o` (camelCase) onto a config; absent fields keep their value.
// Each group's fields are one table in convert.cpp, with their kinds and bounds; a key that is
// no field of the group (and none of the other keys its caller reads) is a TypeError naming it.
// A model object may also carry "preset" and "vocabSize"; a generation request names its own.
void apply_model_fields(const Napi::Object & o, ModelConfig & c);
void apply_train_fields(const Napi::Object & o, TrainConfig & c);
void apply_generate_fields(const Napi::Object & o, GenerateConfig & c, std::initializer_list<const char *> other_keys);
// The same refusal for an object without fields: only `keys` may be there.
void refuse_unknown_keys(const Napi::Object & o, const char * what, std::initializer_list<const char *> keys);

// fieldSpecs(): { model, train, sampling }, each [{ key, kind, min?, max?, choices? }] as the
// tables above read them (electron/common/engine-protocol.ts HostFieldSpec).
Napi::Value field_specs(const Napi::CallbackInfo & info);

// A request's model ({ preset?, ...fields, vocabSize }): the preset (8gb when none) with the
// fields applied and the vocabulary set, validated (RangeError in the engine's words).
ModelConfig model_from_js(const Napi::Value & v);
// A request's training settings (undefined: the defaults), checked with the model they train:
// validate_train_config and a sequence within the model's context.
TrainConfig train_from_js(const Napi::Value & v, const ModelConfig & model);
int sequence_length(const ModelConfig & model, const TrainConfig & train);  // seq_len, or the context when 0

// A model under the table's keys, with its vocabSize.
Napi::Object model_config_to_js(Napi::Env env, const ModelConfig & c);
// A run's settings under fields.ts's train keys; seq_len is the length it trains with.
Napi::Object train_config_to_js(Napi::Env env, const TrainConfig & c, int seq_len);
Napi::Object step_stats_to_js(Napi::Env env, const StepStats & s);

// An exception caught on a worker thread, kept until OnError can build the JS error.
struct EngineFailure {
    std::string message, hint;
    std::string code;  // mg::error's code (core/error.h), empty for none
};
// Runs fn; on any exception fills `failure` (mg::error keeps its hint) and returns false.
bool run_catching(const std::function<void()> & fn, EngineFailure & failure);

// Ends a job that ran OpenMP on a libuv pool thread. libgomp keeps an idle team for every thread
// that ever started a parallel region; once the process holds more OpenMP threads than cores it
// cuts every team's spin-wait to 100 rounds, so the next job's threads sleep and wake at nearly
// every barrier (a training measured 12% slower after earlier jobs). This frees the calling
// thread's team only (libgomp's omp_pause_resource acts on the caller's pool), never a running one.
void release_thread_team();

// A job as JavaScript holds it: { done, cancel }, cancel() setting `cancelled` (which the
// worker's engine call polls). Queue the worker after building it.
Napi::Object cancellable_job(Napi::Env env, Napi::Promise done, std::shared_ptr<std::atomic<bool>> cancelled);

// An engine failure as a JS Error: `code` is the engine's (DISK_FULL, CHECKPOINT_LOCKED, ...) or
// "ENGINE_ERROR" when it gave none, `hint` is there when the engine gave one.
Napi::Error engine_error(Napi::Env env, const EngineFailure & failure);

}  // namespace mg::binding
