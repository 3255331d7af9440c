// Sampler: turns logits into the next token.
//   repetition penalty (CTRL): for tokens seen in the last window, divide positive logits by the
//   penalty and multiply negative ones -> temperature -> top-k -> top-p (nucleus) -> draw.
// temperature 0 is greedy (argmax after the penalty).
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "core/rng.h"

namespace mg {

struct SamplerConfig {
    float temperature = 0.8f;
    int top_k = 40;                  // 0 = off
    float top_p = 0.95f;             // 1 = off
    float repetition_penalty = 1.1f; // 1 = off
    int repetition_window = 64;      // how many recent tokens the penalty looks at
    uint64_t seed = 42;
};

void validate_sampler_config(const SamplerConfig & config);  // throws mg::error

class Sampler {
public:
    explicit Sampler(const SamplerConfig & config);
    int sample(const float * logits, int V, const std::vector<int> & history);

private:
    SamplerConfig config_;
    Rng rng_;
    std::vector<float> z_;
    std::vector<std::pair<float, int>> cand_;
};

}  // namespace mg
