// Presets match the documented table, parameter counts are printed, bad configs are refused.
#include "model/gpt.h"
#include "test-util.h"

using namespace mg;

int main() {
    struct Row { const char * name; int C, L, NH, T, H; };
    const Row table[] = {{"micro", 64, 2, 2, 64, 256},   {"8gb", 128, 4, 4, 64, 512},       {"16gb", 256, 6, 8, 128, 1024},
                         {"small", 256, 6, 4, 128, 1024}, {"medium", 512, 8, 8, 256, 2048}};
    std::printf("  %-7s %12s %12s   (vocab 65, as Tiny Shakespeare; recursion adds a C x 2C adapter)\n", "preset",
                "params", "plain GPT");
    for (const Row & r : table) {
        ModelConfig c = model_preset(r.name);
        EXPECT(c.embed_dim == r.C && c.num_layers == r.L && c.num_heads == r.NH && c.max_seq_len == r.T &&
               c.hidden_dim == r.H);
        c.vocab_size = 65;
        validate_config(c);
        ModelConfig plain = c;
        plain.max_passes = 1, plain.mean_passes = 1, plain.backprop_passes = 1;
        size_t n = gpt_count_params(c), np = gpt_count_params(plain);
        std::printf("  %-7s %12zu %12zu\n", r.name, n, np);
        EXPECT(n == np + size_t(2) * r.C * r.C + r.C);
        GPT m;
        gpt_build(m, c);
        EXPECT(m.num_params == n && m.params.size() == n);
    }
    ModelConfig c = model_preset("8gb");
    c.vocab_size = 65;
    EXPECT_ERROR(model_preset("tiny"), "unknown preset 'tiny'");
    auto bad = [&](auto edit, const char * needle) {
        ModelConfig b = c;
        edit(b);
        EXPECT_ERROR(validate_config(b), needle);
    };
    bad([](ModelConfig & b) { b.num_heads = 3; }, "divisible by num_heads");
    bad([](ModelConfig & b) { b.embed_dim = 0; }, "embed_dim must be at least 1");
    bad([](ModelConfig & b) { b.vocab_size = 0; }, "vocab_size");
    bad([](ModelConfig & b) { b.prelude_layers = 2, b.coda_layers = 2; }, "at least one core layer");
    bad([](ModelConfig & b) { b.mean_passes = 9; }, "mean_passes");
    bad([](ModelConfig & b) { b.backprop_passes = 5; }, "backprop_passes");
    bad([](ModelConfig & b) { b.max_passes = 0; }, "max_passes");
    return mgtest::finish("test-config");
}
