// The ETA stays steady across evaluations. The old estimate (a moving average of whole steps,
// evaluation included) rose by half at every evaluation and fell back over the next steps; the
// CLI's ETA jumped between minutes and hours. Here the ETA, from one step to the next, never
// moves by much more than the work that step finished: first with exact synthetic timings (the
// old formula is run beside it and must break the same bound, so the bound means something),
// then over a real run with frequent, expensive evaluations.
#include <algorithm>
#include <cmath>

#include "data/synthetic-corpus.h"
#include "test-util.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

using namespace mg;

// The old estimate, as it was: a 0.9/0.1 average of whole steps, evaluation included.
struct OldEta {
    double avg = 0;
    double add(double total_seconds, int steps_left) {
        avg = avg == 0 ? total_seconds : 0.9 * avg + 0.1 * total_seconds;
        return avg * steps_left;
    }
};

// The largest rise of the ETA from one step to the next, as a ratio (1 = never rose), over the
// steps from `from` while at least `tail` steps are left (near the end every step is a large
// share of what is left, and ratios say little).
static double worst_rise(const std::vector<double> & eta, int from, int tail) {
    double worst = 0;
    for (int i = std::max(from, 1); i + tail < int(eta.size()); i++) worst = std::max(worst, eta[i] / eta[i - 1]);
    return worst;
}

// The steepest fall beyond what the steps' own progress explains: eta[i] / eta[i-1] against
// (left after i) / (left after i-1), worst case (1 = never fell faster than the steps).
static double worst_fall(const std::vector<double> & eta, int steps, int from, int tail) {
    double worst = 1e9;
    for (int i = std::max(from, 1); i + tail < int(eta.size()); i++) {
        double own = double(steps - (i + 1)) / double(steps - i);
        worst = std::min(worst, (eta[i] / eta[i - 1]) / own);
    }
    return worst;
}

static void test_synthetic() {
    TrainConfig c;
    c.steps = 200, c.eval_interval = 5, c.eval_batches = 16, c.grad_accum = 1;
    const double step = 0.010, eval = 0.100;  // an evaluation costs ten steps
    EtaEstimator est;
    OldEta old;
    std::vector<double> eta, eta_old;
    for (int s = 1; s <= c.steps; s++) {
        const bool evaluated = s % c.eval_interval == 0 || s == c.steps;
        double t = step * (s == 1 ? 5 : 1);  // the first step pays for the warm-up
        if (s == 37) t = step * 10;          // one step held up by a neighbour
        est.add_step(t);
        if (evaluated) est.add_eval(eval);
        eta.push_back(est.eta(c, s));
        eta_old.push_back(old.add(t + (evaluated ? eval : 0), c.steps - s));
    }
    // the true remaining time after step s: its steps and its evaluations
    for (int s : {10, 50, 100, 150}) {
        double truth = step * (c.steps - s) + eval * evals_left(c, s);
        EXPECT_MSG(std::fabs(eta[s - 1] - truth) < 0.05 * truth, "after step %d: ETA %.3f s, truly %.3f s", s,
                   eta[s - 1], truth);
    }
    const double rise = worst_rise(eta, 6, 20), fall = worst_fall(eta, c.steps, 6, 20);
    const double rise_old = worst_rise(eta_old, 6, 20), fall_old = worst_fall(eta_old, c.steps, 6, 20);
    std::printf("  synthetic: worst rise x%.3f (old formula x%.3f), worst fall beyond the steps' x%.3f (old x%.3f)\n",
                rise, rise_old, fall, fall_old);
    EXPECT_MSG(rise <= 1.15, "the ETA rose x%.3f in one step", rise);
    EXPECT_MSG(fall >= 0.80, "the ETA fell x%.3f beyond the step's own progress", fall);
    EXPECT_MSG(rise_old > 1.25, "the old formula should jump here (x%.3f): the bound would not test anything", rise_old);

    // evals_left counts the evaluations to come, the last step's included
    TrainConfig e;
    e.steps = 10, e.eval_interval = 4;
    EXPECT(evals_left(e, 0) == 3 && evals_left(e, 4) == 2 && evals_left(e, 8) == 1 && evals_left(e, 9) == 1 &&
           evals_left(e, 10) == 0);
    e.steps = 8;
    EXPECT(evals_left(e, 0) == 2 && evals_left(e, 7) == 1);
    e.eval_interval = 0;
    EXPECT(evals_left(e, 0) == 1 && evals_left(e, 8) == 0);
}

// A real run whose evaluations are frequent and each costs several steps.
static void test_real_run() {
    const bool reduced = mgtest::reduced();
    std::string text = synthetic_corpus(60000, 3);
    Tokenizer tok = Tokenizer::from_text(text);
    std::vector<int> tokens = tok.encode(text, true);
    ModelConfig mc = mgtest::recursive_preset("micro");
    mc.vocab_size = tok.vocab_size();
    mc.embed_dim = reduced ? 32 : 64, mc.hidden_dim = reduced ? 64 : 256, mc.max_seq_len = reduced ? 32 : 64;
    mc.max_passes = 1, mc.mean_passes = 1, mc.backprop_passes = 1;  // steps of one cost: the pace is the clock's
    TrainConfig tc;
    tc.steps = 80, tc.batch_size = 8, tc.eval_interval = 8, tc.eval_batches = 24, tc.warmup_steps = 10;
    GPT model;
    gpt_build(model, mc);
    gpt_init_weights(model, tc.seed);
    Trainer trainer(model, tc, tokens);
    std::vector<double> eta, eta_old;
    OldEta old;
    double train_total = 0, eval_total = 0;
    while (!trainer.done()) {
        StepStats s = trainer.step();
        eta.push_back(s.eta_seconds);
        eta_old.push_back(old.add(s.train_seconds + s.eval_seconds, s.steps - s.step));
        train_total += s.train_seconds, eval_total += s.eval_seconds;
    }
    const int evals = tc.steps / tc.eval_interval;
    std::printf("  real run: a step %.2f ms, an evaluation %.2f ms\n", 1e3 * train_total / tc.steps, 1e3 * eval_total / evals);
    // from after the first evaluation (which replaces the estimate of its cost by a measurement)
    const int from = tc.eval_interval + 1, tail = 20;
    const double rise = worst_rise(eta, from, tail), fall = worst_fall(eta, tc.steps, from, tail);
    const double rise_old = worst_rise(eta_old, from, tail);
    std::printf("  real run: worst rise x%.3f (old formula x%.3f), worst fall beyond the steps' x%.3f\n", rise, rise_old,
                fall);
    EXPECT_MSG(rise <= 1.25, "the ETA rose x%.3f in one step", rise);
    EXPECT_MSG(fall >= 0.70, "the ETA fell x%.3f beyond the step's own progress", fall);
    // the setup must make evaluations matter, or the bounds above would hold for any formula
    EXPECT_MSG(eval_total / evals > 2 * train_total / tc.steps, "an evaluation should cost several steps here");
    EXPECT_MSG(rise_old > 1.25, "the old formula should jump at evaluations here (x%.3f)", rise_old);
}

int main() {
    test_synthetic();
    test_real_run();
    return mgtest::finish("test-eta");
}
