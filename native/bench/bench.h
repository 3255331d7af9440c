// mg-bench internals shared by its modes (bench.cpp: peak, gemm, init, logits;
// bench-train.cpp: train, passes, generate).
#pragma once
#include <map>
#include <string>
#include <vector>

#include "model/gpt.h"

namespace mg {

// --flag value pairs after the mode
struct Args {
    std::map<std::string, std::string> kv;
    bool has(const std::string & k) const { return kv.count(k) > 0; }
    std::string str(const std::string & k, const std::string & def = "") const;
    double num(const std::string & k, double def) const;
    std::vector<std::string> list(const std::string & k) const;  // comma-separated
};
Args parse_bench_args(int argc, char ** argv);

double now_seconds();
double peak_rss_mib();
double flops_per_token(const ModelConfig & c, double passes, double taped_passes, int T);
void load_checkpoint(const std::string & path, GPT & model);
std::vector<int> read_ids(const std::string & path);

void cmd_train(const Args & a);
void cmd_passes(const Args & a);
void cmd_generate(const Args & a);

}  // namespace mg
