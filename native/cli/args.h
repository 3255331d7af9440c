// Command-line options of the `microgpt` tool. The flag table in args.cpp drives both parsing
// and --help, so the two cannot disagree.
#pragma once
#include <set>
#include <stdexcept>
#include <string>

#include "generate/generate.h"
#include "model/config.h"
#include "train/config.h"

namespace mg {

enum class CliMode { Demo, Train, Generate, Chat, Eval, Info, Help, Version };

struct CliOptions {
    CliMode mode = CliMode::Demo;
    std::string data, save_checkpoint, load_checkpoint, prompt, preset;
    bool resume = false;
    ModelConfig model;
    TrainConfig train;
    GenerateConfig generate;
    int threads = 0;          // 0 = all cores
    int log_interval = 10;
    int save_interval = 500;  // autosave every N steps when saving; 0 = only at the end
    int sample_every = 0;     // print a sample of the model's text every N steps; 0 = none
    std::string split = "val";  // --eval: the validation split, or "all" of the text
    bool json = false;        // --eval: print one JSON object instead of text
    std::set<std::string> given;  // flags present on the command line, e.g. "embed_dim"
};

// A mistake in the command line itself: main prints it with the usage line and exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

CliOptions parse_args(int argc, const char * const * argv);
std::string usage_line();
std::string help_text();

}  // namespace mg
