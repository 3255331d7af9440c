// Real learning: a recursive micro model trained on a 200 KB generated English corpus must take
// its val loss from about ln(V) (chance) to below kValThreshold. Prints the curve.
#include <algorithm>
#include <cmath>

#include "data/synthetic-corpus.h"
#include "model/decoder.h"
#include "test-util.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

using namespace mg;

// The grammar's word choices leave about 1 nat/char of irreducible entropy; a model that has
// learned spelling and spacing but not much more sits near 1.6, chance is ln(37) = 3.6.
static constexpr float kValThreshold = 1.75f;
// Under emulation (MG_TEST_REDUCED, arm64 under qemu) a shorter run on shorter windows: the
// model must still get well below chance, which no broken gradient or kernel does.
static constexpr float kReducedValThreshold = 2.4f;

// The trained model through the decoder with fp32 and with fp16 weights, on the val text: the
// mean next-token loss, and how often the greedy choice differs (both fed the same text, so one
// flipped choice cannot change what follows).
static void check_fp16_decoding(const GPT & m, const std::vector<int> & tokens) {
    const int T = m.config.max_seq_len, V = m.config.vocab_size, passes = m.config.default_passes(), windows = 8;
    Decoder d32(m, passes, DecodeWeights::fp32), d16(m, passes, DecodeWeights::fp16);
    auto nll = [&](const float * z, int target) {
        const float zmax = *std::max_element(z, z + V);
        double s = 0;
        for (int v = 0; v < V; v++) s += std::exp(double(z[v] - zmax));
        return std::log(s) + zmax - z[target];
    };
    double loss32 = 0, loss16 = 0;
    int n = 0, flips = 0;
    for (int w = 0; w < windows; w++) {
        const int * win = tokens.data() + tokens.size() * 9 / 10 + size_t(w) * T;  // in the val split
        d32.reset(), d16.reset();
        for (int t = 0; t + 1 < T; t++, n++) {
            const float * z32 = d32.feed(win[t], passes, 0.0f);
            const float * z16 = d16.feed(win[t], passes, 0.0f);
            loss32 += nll(z32, win[t + 1]), loss16 += nll(z16, win[t + 1]);
            flips += std::max_element(z32, z32 + V) - z32 != std::max_element(z16, z16 + V) - z16;
        }
    }
    loss32 /= n, loss16 /= n;
    std::printf("  decoder on val text, %d tokens: loss fp32 %.5f, fp16 %.5f; greedy choice differs at %d\n", n, loss32,
                loss16, flips);
    EXPECT_MSG(std::fabs(loss16 - loss32) < 2e-3, "fp16 weights move the loss by %.5f", loss16 - loss32);
    EXPECT_MSG(flips <= n / 100, "fp16 weights change the greedy choice at %d of %d positions", flips, n);
}

int main() {
    std::string text = synthetic_corpus(200000, 2024);
    EXPECT(text.size() >= 100000);
    Tokenizer tok = Tokenizer::from_text(text);
    std::vector<int> tokens = tok.encode(text, true);
    ModelConfig c = mgtest::recursive_preset("micro");
    c.vocab_size = tok.vocab_size();
    GPT m;
    gpt_build(m, c);
    gpt_init_weights(m, 1);
    TrainConfig t;
    t.steps = 300, t.batch_size = 16, t.lr = 3e-3f, t.min_lr = 3e-4f, t.warmup_steps = 30;
    t.eval_interval = 50, t.eval_batches = 4;
    const bool reduced = mgtest::reduced();
    if (reduced) t.steps = 80, t.batch_size = 8, t.seq_len = 32, t.warmup_steps = 10, t.eval_interval = 40;
    const float threshold = reduced ? kReducedValThreshold : kValThreshold;
    Trainer trainer(m, t, tokens);

    float chance = std::log(float(tok.vocab_size()));
    float initial = trainer.evaluate();
    std::printf("  corpus %zu bytes, vocab %d, chance ln(V) = %.3f, model %zu params\n", text.size(), tok.vocab_size(),
                chance, m.num_params);
    std::printf("  %5s %8s %8s\n  %5d %8s %8.4f\n", "step", "train", "val", 0, "-", initial);
    EXPECT_MSG(std::fabs(initial - chance) < 0.35f, "an untrained model should score about ln(V): %.3f vs %.3f",
               initial, chance);
    float val = initial;
    double train_avg = 0;
    int n = 0;
    while (!trainer.done()) {
        StepStats s = trainer.step();
        train_avg += s.train_loss, n++;
        if (s.val_loss >= 0) {
            std::printf("  %5d %8.4f %8.4f\n", s.step, train_avg / n, s.val_loss);
            train_avg = 0, n = 0;
            val = s.val_loss;
        }
    }
    EXPECT_MSG(val < threshold, "val loss %.4f should fall below %.2f%s", val, threshold, reduced ? " (reduced run)" : "");
    check_fp16_decoding(m, tokens);
    return mgtest::finish("test-learning");
}
