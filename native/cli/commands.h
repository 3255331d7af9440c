// The microgpt subcommands. Each returns the process exit code; errors are thrown as mg::error
// (printed by main) or UsageError (printed with the usage line).
#pragma once
#include <atomic>
#include <string>

#include "cli/args.h"
#include "model/gpt.h"
#include "tokenizer/tokenizer.h"

namespace mg {

struct LoadedModel {
    GPT model;
    Tokenizer tokenizer;
    bool line_sequences = false;  // trained on each line alone (GenerateConfig::line_sequences)
};

// Set by SIGINT: training stops after the current step and saves; generation ends its reply.
extern std::atomic<bool> g_interrupted;
void install_interrupt_handler();

int cmd_train(const CliOptions & o);
int cmd_generate(const CliOptions & o);
int cmd_chat(const CliOptions & o);
int cmd_eval(const CliOptions & o);
int cmd_info(const CliOptions & o);
int cmd_demo(const CliOptions & o);

// Trains on `text` as the options say; leaves the trained model in *out when given.
int run_training(const CliOptions & o, const std::string & text, const std::string & source, LoadedModel * out = nullptr);
// The checkpoint named by the options, or (with none) random weights over printable ASCII.
void load_model(const CliOptions & o, LoadedModel & lm);
// Streams one generation to stdout and prints its statistics to stderr.
int print_generation(const LoadedModel & lm, const CliOptions & o, const std::string & prompt);
std::string format_duration(double seconds);
std::string with_commas(double v);  // 12,345
std::string format_float(float v);  // as it was given: 0.1, not 0.1000000015

}  // namespace mg
