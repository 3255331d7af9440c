// The whole model's gradient against finite differences of its loss, for every parameter.
//   plain GPT (max_passes 1)                      : d loss / d params
//   recursion, passes 3, backprop through all 3   : full backprop through depth
//   recursion, passes 3, backprop through last 2  : truncated backprop. Its gradient is that of the
//       loss with the state after pass 1 held fixed, so the numeric side runs 2 passes from that
//       captured state (the input injection e still depends on the parameters, as in training).
#include "gradcheck.h"
#include "model/gpt.h"
#include "test-util.h"

using namespace mg;
using namespace mgtest;

static ModelConfig tiny(bool recurrent) {
    ModelConfig c;
    c.vocab_size = 7;
    c.embed_dim = 8;
    c.num_layers = 3;
    c.num_heads = 2;
    c.max_seq_len = 5;
    c.hidden_dim = 12;
    c.prelude_layers = 1;
    c.coda_layers = 1;
    c.max_passes = recurrent ? 4 : 1;
    c.mean_passes = recurrent ? 2.0f : 1.0f;
    c.backprop_passes = recurrent ? 2 : 1;
    return c;
}

// Weights far from init (larger, norm gains off one) so every nonlinearity is exercised.
static void randomize(GPT & m, Rng & rng) {
    for (int k = 0; k < PARAM_KIND_COUNT; k++) {
        float * p = m.params.data() + m.info[k].offset;
        for (size_t i = 0; i < m.info[k].size; i++) p[i] = m.info[k].decay ? 0.4f * rng.normal() : 1.0f + 0.2f * rng.normal();
    }
}

static bool check_model(const char * name, bool recurrent, int passes, int grad_passes, float dropout = 0) {
    const int B = 2, T = 5;
    GPT m;
    gpt_build(m, tiny(recurrent));
    gpt_enable_grads(m);
    Rng rng(7);
    randomize(m, rng);
    std::vector<int> inp = {1, 4, 6, 0, 2, 3, 3, 5, 1, 0};
    std::vector<int> tgt = {4, 6, 0, 2, 5, 3, 5, 1, 0, 6};
    const int C = m.config.embed_dim;
    std::vector<float> frozen(size_t(B) * T * C);

    Tape tape;
    PassPlan plan;
    plan.passes = passes;
    plan.grad_passes = grad_passes;
    plan.detached_state = recurrent ? frozen.data() : nullptr;
    plan.dropout = dropout, plan.dropout_seed = 4242;  // the numeric objective draws the same masks
    gpt_zero_grads(m);
    float loss = gpt_forward_loss(m, tape, inp.data(), tgt.data(), B, T, plan, 1.0f);
    tape.backward();
    std::vector<float> analytic = m.grads;

    PassPlan numeric_plan;
    numeric_plan.passes = grad_passes;
    numeric_plan.init_state = (recurrent && grad_passes < passes) ? frozen.data() : nullptr;
    if (!numeric_plan.init_state) numeric_plan.passes = passes;
    numeric_plan.dropout = dropout, numeric_plan.dropout_seed = 4242;
    auto objective = [&] {
        tape.reset();
        tape.recording = false;
        double l = gpt_forward_loss(m, tape, inp.data(), tgt.data(), B, T, numeric_plan, 1.0f);
        tape.recording = true;
        return l;
    };
    EXPECT_MSG(std::fabs(objective() - loss) < 1e-5, "%s: the numeric objective must equal the trained loss", name);
    GradTolerance tol{2e-2f, 1e-4f, 1e-2f, true};
    // under emulation every third element of each parameter: still every row and column pattern
    const size_t stride = mgtest::reduced() ? 3 : 1;
    bool ok = true;
    for (int k = 0; k < PARAM_KIND_COUNT; k++) {
        if (m.info[k].size == 0) continue;
        std::string label = std::string(name) + " " + m.info[k].name;
        ok &= report(label.c_str(), check_gradient(m.params.data() + m.info[k].offset, analytic.data() + m.info[k].offset,
                                                   m.info[k].size, objective, tol, stride));
    }
    std::printf("  %s: loss %.4f over %zu parameters\n", name, loss, m.num_params);
    return ok;
}

int main() {
    EXPECT(check_model("plain", false, 1, 1));
    EXPECT(check_model("rec3-full", true, 3, 3));
    EXPECT(check_model("rec3-k2", true, 3, 2));
    EXPECT(check_model("rec1", true, 1, 1));
    EXPECT(check_model("plain, dropout 0.3", false, 1, 1, 0.3f));
    EXPECT(check_model("rec3-full, dropout 0.2", true, 3, 3, 0.2f));
    return finish("test-model-gradcheck");
}
