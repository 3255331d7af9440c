#include "generate/sampler.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace mg {

void validate_sampler_config(const SamplerConfig & c) {
    if (!(c.temperature >= 0.0f && c.temperature <= 10.0f))
        MG_THROW_HINT("--temperature must be in [0, 10]", "0 is greedy; 0.7 to 1.0 is typical");
    if (c.top_k < 0) MG_THROW_HINT("--top_k must be >= 0", "0 turns top-k off");
    if (!(c.top_p > 0.0f && c.top_p <= 1.0f)) MG_THROW_HINT("--top_p must be in (0, 1]", "1 turns top-p off");
    if (!(c.repetition_penalty >= 1.0f && c.repetition_penalty <= 10.0f))
        MG_THROW_HINT("--repetition_penalty must be in [1, 10]", "1 turns it off; 1.1 is mild");
    if (c.repetition_window < 0) MG_THROW("--repetition_window must be >= 0");
}

Sampler::Sampler(const SamplerConfig & config) : config_(config), rng_(config.seed) { validate_sampler_config(config); }

int Sampler::sample(const float * logits, int V, const std::vector<int> & history) {
    z_.assign(logits, logits + V);
    if (config_.repetition_penalty != 1.0f) {
        size_t from = history.size() > size_t(config_.repetition_window) ? history.size() - config_.repetition_window : 0;
        std::vector<bool> seen(V, false);
        for (size_t i = from; i < history.size(); i++) {
            int t = history[i];
            if (t < 0 || t >= V || seen[t]) continue;
            seen[t] = true;
            z_[t] = z_[t] > 0 ? z_[t] / config_.repetition_penalty : z_[t] * config_.repetition_penalty;
        }
    }
    if (config_.temperature == 0.0f) return int(std::max_element(z_.begin(), z_.end()) - z_.begin());

    cand_.clear();
    for (int i = 0; i < V; i++) cand_.push_back({z_[i] / config_.temperature, i});
    // highest first; ties broken by id so the order, and so the draw, is deterministic
    std::sort(cand_.begin(), cand_.end(), [](auto & a, auto & b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    size_t keep = cand_.size();
    if (config_.top_k > 0 && size_t(config_.top_k) < keep) keep = config_.top_k;
    double maxv = cand_[0].first, sum = 0;
    for (size_t i = 0; i < keep; i++) sum += (cand_[i].first = float(std::exp(cand_[i].first - maxv)));
    if (config_.top_p < 1.0f) {
        double cum = 0;
        for (size_t i = 0; i < keep; i++) {
            cum += cand_[i].first / sum;
            if (cum >= config_.top_p) {
                keep = i + 1;
                break;
            }
        }
        sum = 0;
        for (size_t i = 0; i < keep; i++) sum += cand_[i].first;
    }
    double r = rng_.uniform() * sum, acc = 0;
    for (size_t i = 0; i < keep; i++) {
        acc += cand_[i].first;
        if (r < acc) return cand_[i].second;
    }
    return cand_[keep - 1].second;
}

}  // namespace mg
