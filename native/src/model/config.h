// ModelConfig: the shape of a GPT with recursive refinement, its presets and its validation.
//
// Layers split into an unshared prelude, a shared core and an unshared coda:
//   e = prelude(embed(tokens))
//   s_0 = 0;  s_{i+1} = statenorm(core(adapter([s_i; e])))   for i < passes
//   logits = head(norm(coda(s_passes)))
// With max_passes == 1 the model has no adapter and no state norm: prelude, core and coda run
// once in sequence, which is exactly a plain GPT on the same code path.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace mg {

struct ModelConfig {
    int vocab_size = 0;   // set from the tokenizer
    int embed_dim = 128;
    int num_layers = 4;
    int num_heads = 4;
    int max_seq_len = 64;
    int hidden_dim = 512;
    // recursion
    int prelude_layers = 1;      // unshared, before the core
    int coda_layers = 1;         // unshared, after the core
    float mean_passes = 2.0f;    // training: passes per step are sampled around this mean
    int max_passes = 4;          // training: passes are clamped to [1, max_passes]; 1 = no recursion (the presets')
    int backprop_passes = 2;     // training: gradients flow through the last k passes only

    bool recurrent() const { return max_passes > 1; }
    int core_layers() const { return num_layers - prelude_layers - coda_layers; }
    int default_passes() const;  // inference default: the training mean, rounded
};

ModelConfig model_preset(const std::string & name);  // throws mg::error naming the presets
float preset_learning_rate(const std::string & name); // the peak lr a new model of the preset trains with
const std::vector<std::string> & model_preset_names();
void validate_config(const ModelConfig & config);    // throws mg::error with a hint
std::string describe_config(const ModelConfig & config);

}  // namespace mg
