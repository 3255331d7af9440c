#include "model/config.h"

#include <cmath>
#include <sstream>

#include "core/error.h"
#include "model/limits.h"

namespace mg {

int ModelConfig::default_passes() const {
    if (!recurrent()) return 1;
    int p = int(std::lround(mean_passes));
    return p < 1 ? 1 : p;
}

// micro/small/medium follow the original README's model table; 8gb/16gb are its recommended
// configurations for 8 GB and 16 GB Pi 5 boards. lr is the peak learning rate a new model of the
// preset trains with unless told: 3e-3 won docs/quality.md's sweep for 8gb (1e-3..8e-3) and suits
// micro's names runs; the larger presets keep nanoGPT's 1e-3, unmeasured here.
struct PresetRow { const char * name; int C, L, NH, T, H; float lr; };
static const PresetRow kPresets[] = {
    {"micro", 64, 2, 2, 64, 256, 3e-3f},     {"8gb", 128, 4, 4, 64, 512, 3e-3f},        {"16gb", 256, 6, 8, 128, 1024, 1e-3f},
    {"small", 256, 6, 4, 128, 1024, 1e-3f}, {"medium", 512, 8, 8, 256, 2048, 1e-3f},
};

const std::vector<std::string> & model_preset_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const PresetRow & s : kPresets) v.push_back(s.name);
        return v;
    }();
    return names;
}

static const PresetRow & preset_row(const std::string & name) {
    for (const PresetRow & s : kPresets)
        if (name == s.name) return s;
    std::string list;
    for (auto & n : model_preset_names()) list += (list.empty() ? "" : ", ") + n;
    MG_THROW_HINT("unknown preset '" + name + "'", "choose one of: " + list);
}

float preset_learning_rate(const std::string & name) { return preset_row(name).lr; }

ModelConfig model_preset(const std::string & name) {
    const PresetRow & s = preset_row(name);
    ModelConfig c;
    c.embed_dim = s.C;
    c.num_layers = s.L;
    c.num_heads = s.NH;
    c.max_seq_len = s.T;
    c.hidden_dim = s.H;
    // Plain GPT by default: in docs/quality.md's study (Tiny Shakespeare, the 8gb budget) no
    // recursion beat the plain model of equal parameters, and a deeper unshared one did not
    // either. The recursion knobs below are what max_passes > 1 switches on: two layers leave
    // nothing to split, so there the whole stack is the shared core.
    c.max_passes = 1;
    c.prelude_layers = s.L >= 4 ? 1 : 0;
    c.coda_layers = s.L >= 4 ? 1 : 0;
    return c;
}

void check_limit(long v, const FieldLimit & limit, const std::string & hint, const char * what) {
    const std::string name = what ? what : limit.name;
    if (v < limit.min)
        MG_THROW_HINT(name + " must be at least " + std::to_string(limit.min) + " (got " + std::to_string(v) + ")", hint);
    if (v > limit.max)
        MG_THROW_HINT(name + " " + std::to_string(v) + " is too large (limit " + std::to_string(limit.max) + ")", hint);
}

void validate_config(const ModelConfig & c) {
    auto field = [](int v, const FieldLimit & limit) {
        check_limit(v, limit, std::string("set --") + limit.name + " between " + std::to_string(limit.min) + " and " +
                                  std::to_string(limit.max));
    };
    check_limit(c.vocab_size, limits::vocab_size, "the vocabulary is the training text's characters plus 3 special tokens");
    field(c.embed_dim, limits::embed_dim);
    field(c.num_layers, limits::num_layers);
    field(c.num_heads, limits::num_heads);
    if (c.max_seq_len > limits::max_seq_len.max)
        MG_THROW_HINT("max_seq_len " + std::to_string(c.max_seq_len) + " is too large (limit 4096)",
                      "a character model on a Pi wants 64 to 512");
    field(c.max_seq_len, limits::max_seq_len);
    field(c.hidden_dim, limits::hidden_dim);
    if (c.embed_dim % c.num_heads != 0)
        MG_THROW_HINT("embed_dim (" + std::to_string(c.embed_dim) + ") must be divisible by num_heads (" +
                          std::to_string(c.num_heads) + ")",
                      "pick num_heads that divides embed_dim, e.g. embed_dim 128 with 4 heads");
    if (c.prelude_layers < 0 || c.coda_layers < 0)
        MG_THROW("prelude_layers and coda_layers cannot be negative");
    field(c.prelude_layers, limits::prelude_layers);
    field(c.coda_layers, limits::coda_layers);
    if (c.core_layers() < 1)
        MG_THROW_HINT("prelude_layers + coda_layers (" + std::to_string(c.prelude_layers + c.coda_layers) +
                          ") must leave at least one core layer out of num_layers (" + std::to_string(c.num_layers) +
                          ")",
                      "lower --prelude_layers/--coda_layers or raise --num_layers");
    if (c.max_passes < limits::max_passes.min || c.max_passes > limits::max_passes.max)
        MG_THROW_HINT("max_passes must be in [1, 64] (got " + std::to_string(c.max_passes) + ")",
                      "use --max_passes 1 for a plain GPT, 2 to 8 for recursion");
    // A plain model (max_passes 1) runs one pass; its passes knobs wait for max_passes > 1, so
    // they are held only to the range any max_passes allows.
    const int most = c.recurrent() ? c.max_passes : limits::max_passes.max;
    if (!(c.mean_passes >= 1.0f) || c.mean_passes > float(most))
        MG_THROW_HINT("mean_passes must be in [1, max_passes]", "e.g. --mean_passes 2 --max_passes 4");
    if (c.backprop_passes < 1 || c.backprop_passes > most)
        MG_THROW_HINT("backprop_passes must be in [1, max_passes] (got " + std::to_string(c.backprop_passes) + ")",
                      "gradients flow through the last k passes; k = 2 is a good default");
}

std::string describe_config(const ModelConfig & c) {
    std::ostringstream s;
    s << "vocab " << c.vocab_size << ", embed " << c.embed_dim << ", layers " << c.num_layers << ", heads "
      << c.num_heads << ", seq " << c.max_seq_len << ", hidden " << c.hidden_dim;
    if (c.recurrent())
        s << "; recursion: prelude " << c.prelude_layers << " + core " << c.core_layers() << " x passes + coda "
          << c.coda_layers << ", mean passes " << c.mean_passes << ", max " << c.max_passes << ", backprop through last "
          << c.backprop_passes;
    else
        s << "; no recursion (plain GPT)";
    return s.str();
}

}  // namespace mg
