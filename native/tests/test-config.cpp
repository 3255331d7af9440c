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
    // every field has an upper bound too (model/limits.h), the CLI's and the checkpoint reader's
    bad([](ModelConfig & b) { b.hidden_dim = 70000; }, "hidden_dim 70000 is too large (limit 65536)");
    bad([](ModelConfig & b) { b.num_layers = 300; }, "num_layers 300 is too large (limit 256)");
    bad([](ModelConfig & b) { b.embed_dim = 1 << 20, b.num_heads = 1; }, "embed_dim 1048576 is too large");
    bad([](ModelConfig & b) { b.vocab_size = 1 << 22; }, "vocab_size 4194304 is too large");
    bad([](ModelConfig & b) { b.prelude_layers = 1000; }, "prelude_layers 1000 is too large");
    // and a parameter count that overflows 64 bits is an error, not a wrapped small number
    ModelConfig huge = c;
    huge.embed_dim = 4, huge.num_layers = 1 << 30, huge.num_heads = 2, huge.hidden_dim = 2147483639;
    huge.prelude_layers = 0, huge.coda_layers = 0, huge.max_passes = 1, huge.mean_passes = 1, huge.backprop_passes = 1;
    EXPECT_ERROR(gpt_count_params(huge), "overflows 64 bits");
    huge.embed_dim = 1 << 30, huge.num_layers = 1 << 30;
    EXPECT_ERROR(gpt_count_params(huge), "overflow 64 bits");
    return mgtest::finish("test-config");
}
