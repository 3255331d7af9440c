// Presets match the documented table (plain GPTs, their peak lr), parameter counts are printed,
// bad configs are refused, a plain model's passes knobs wait for recursion.
#include "model/gpt.h"
#include "test-util.h"

using namespace mg;

int main() {
    struct Row { const char * name; int C, L, NH, T, H; float lr; };
    const Row table[] = {{"micro", 64, 2, 2, 64, 256, 3e-3f},   {"8gb", 128, 4, 4, 64, 512, 3e-3f},
                         {"16gb", 256, 6, 8, 128, 1024, 1e-3f}, {"small", 256, 6, 4, 128, 1024, 1e-3f},
                         {"medium", 512, 8, 8, 256, 2048, 1e-3f}};
    std::printf("  %-7s %12s %12s   (vocab 65, as Tiny Shakespeare; recursion adds a C x 2C adapter)\n", "preset",
                "params", "plain GPT");
    for (const Row & r : table) {
        ModelConfig c = model_preset(r.name);
        EXPECT(c.embed_dim == r.C && c.num_layers == r.L && c.num_heads == r.NH && c.max_seq_len == r.T &&
               c.hidden_dim == r.H);
        EXPECT(preset_learning_rate(r.name) == r.lr);
        // plain by default; max_passes above 1 switches on the recursion the preset holds ready
        EXPECT(!c.recurrent() && c.default_passes() == 1);
        c.vocab_size = 65;
        validate_config(c);
        ModelConfig rec = c;
        rec.max_passes = 4;
        validate_config(rec);
        EXPECT(rec.mean_passes == 2.0f && rec.backprop_passes == 2 && rec.default_passes() == 2);
        EXPECT(rec.core_layers() == (r.L >= 4 ? r.L - 2 : r.L));
        size_t np = gpt_count_params(c), n = gpt_count_params(rec);
        std::printf("  %-7s %12zu %12zu\n", r.name, n, np);
        EXPECT(n == np + size_t(2) * r.C * r.C + r.C);
        GPT m;
        gpt_build(m, c);
        EXPECT(m.num_params == np && m.params.size() == np);
        EXPECT(m.config.mean_passes == 1.0f && m.config.backprop_passes == 1);  // a plain model keeps what it runs
    }
    EXPECT_ERROR(preset_learning_rate("tiny"), "unknown preset 'tiny'");
    ModelConfig c = model_preset("8gb");
    c.vocab_size = 65;
    {  // plain: mean and backprop passes are held to what any max_passes allows, not to 1
        ModelConfig p = c;
        p.mean_passes = 9, p.backprop_passes = 5;
        validate_config(p);
        p.mean_passes = 65;
        EXPECT_ERROR(validate_config(p), "mean_passes");
        p.mean_passes = 2, p.backprop_passes = 0;
        EXPECT_ERROR(validate_config(p), "backprop_passes");
    }
    c.max_passes = 4;  // the rest with recursion on
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
