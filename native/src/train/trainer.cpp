#include "train/trainer.h"

#include <algorithm>
#include <cmath>

#include "autograd/profile.h"
#include "core/error.h"
#include "core/hash.h"
#include "kernels/dispatch.h"
#include "train/memory-plan.h"
#include "train/schedule.h"

namespace mg {

uint64_t data_fingerprint(const std::vector<int> & tokens) {
    Hasher h;
    h.update(tokens.data(), tokens.size() * sizeof(int));
    return h.digest();
}

size_t val_split_begin(size_t n, int T, float val_fraction) {
    size_t n_val = std::max(size_t(T + 1), size_t(double(n) * val_fraction));
    return n - std::min(n, n_val);
}

size_t val_split_begin(const std::vector<int> & tokens, int T, float val_fraction, int line_end) {
    size_t begin = val_split_begin(tokens.size(), T, val_fraction);
    if (line_end < 0) return begin;
    size_t b = begin;
    while (b > 0 && tokens[b - 1] != line_end) b--;
    return b > 0 ? b : begin;  // one line only: there is no line to hold out whole
}

Trainer::Trainer(GPT & model, const TrainConfig & config, const std::vector<int> & tokens, int line_end)
    : model_(model), tokens_(tokens), line_end_(line_end) {
    state_.config = config;
    state_.rng = Rng(config.seed ^ 0x5eed0fda7aULL);  // a stream apart from the init stream
    state_.data_hash = data_fingerprint(tokens);
    state_.data_tokens = tokens.size();
    state_.m.assign(model.num_params, 0.0f);
    state_.v.assign(model.num_params, 0.0f);
    setup();
}

Trainer::Trainer(GPT & model, TrainState state, const std::vector<int> & tokens, int line_end)
    : model_(model), state_(std::move(state)), tokens_(tokens), line_end_(line_end) {
    if (state_.data_tokens != tokens.size() || state_.data_hash != data_fingerprint(tokens))
        MG_THROW_HINT("this data is not the data the checkpoint's run was trained on, so it cannot be resumed exactly",
                      "resume with the original data file, or continue training on new data without --resume");
    if (state_.m.size() != model.num_params || state_.v.size() != model.num_params)
        MG_THROW("the checkpoint's optimizer state does not match the model's parameter count");
    if (state_.step < 0 || state_.step > state_.config.steps)
        MG_THROW("the training state's step " + std::to_string(state_.step) + " is outside [0, " +
                 std::to_string(state_.config.steps) + "]");
    setup();
}

void Trainer::setup() {
    validate_train_config(state_.config);
    const ModelConfig & mc = model_.config;
    T_ = state_.config.seq_len > 0 ? state_.config.seq_len : mc.max_seq_len;
    if (T_ > mc.max_seq_len)
        MG_THROW_HINT("--seq_len " + std::to_string(T_) + " exceeds the model's max_seq_len " +
                          std::to_string(mc.max_seq_len),
                      "lower --seq_len or raise --max_seq_len");
    for (int id : tokens_)
        MG_CHECK(id >= 0 && id < mc.vocab_size, "training data holds a token id outside the model's vocabulary");
    // the val split must hold at least one window, the train split a few
    size_t n = tokens_.size();
    if (state_.config.split_lines && line_end_ < 0)
        MG_THROW_CODE(errc::kBadRequest, "split_lines holds out whole lines, but the text has no line breaks",
                      "turn split_lines off for a text that is not a list of lines");
    size_t n_val = n - val_split_begin(tokens_, T_, state_.config.val_fraction, state_.config.split_lines ? line_end_ : -1);
    if (n < n_val + size_t(T_) + 2)
        MG_THROW_HINT("the data has " + std::to_string(n) + " characters; training with sequences of " +
                          std::to_string(T_) + " needs at least " + std::to_string(n_val + T_ + 2),
                      "use a larger text file, or a smaller --seq_len / --max_seq_len");
    n_train_ = n - n_val;
    if (state_.config.line_sequences) {
        // a row holds the line_end before a line and the line: the longest line must fit
        LineIndex train = index_lines(tokens_, 0, n_train_, line_end_), val = index_lines(tokens_, n_train_, n, line_end_);
        const size_t longest = std::max(train.longest, val.longest);
        if (longest > size_t(T_))
            MG_THROW_CODE(errc::kBadRequest,
                          "line_sequences trains each line as one sequence, but the longest line holds " +
                              std::to_string(longest) + " characters with its line break, more than the " +
                              std::to_string(T_) + " of a sequence",
                          "raise --seq_len (and --max_seq_len) to at least " + std::to_string(longest) +
                              ", or train on windows (line_sequences off)");
        train_lines_ = std::move(train.starts);
        val_lines_ = std::move(val.starts);
    }
    // the arenas at the size of the largest step, taken now: a run that fits its first steps
    // fits them all, and the steady state allocates nothing
    TapePlan plan = plan_tape(mc, state_.config.batch_size, T_, state_.config.dropout > 0);
    tape_.reserve(plan.acts, plan.grads);
    gpt_enable_grads(model_);
    inp_.resize(size_t(state_.config.batch_size) * T_);
    tgt_.resize(inp_.size());
}

// Passes for one step: 1 + Poisson(mean - 1), clamped to [1, max_passes]. Its mean is the
// configured mean (before clamping), and its spread teaches the core to work at many depths.
int Trainer::sample_passes() {
    const ModelConfig & c = model_.config;
    if (!c.recurrent()) return 1;
    int p = 1 + state_.rng.poisson(double(c.mean_passes) - 1.0);
    return std::clamp(p, 1, c.max_passes);
}

// Fills inp_/tgt_ with batch_size windows: random offsets in the train split, or, for
// evaluation, evenly spaced fixed offsets in the val split starting at window offset_base.
// line_sequences: a row is one line instead (data/line-split.h line_row), read from position 0
// after a line_end token, so every line is predicted from nothing but itself.
void Trainer::load_batch(size_t offset_base, bool random) {
    const int B = state_.config.batch_size;
    if (state_.config.line_sequences) {
        const std::vector<size_t> & lines = random ? train_lines_ : val_lines_;
        const size_t total = size_t(state_.config.eval_batches) * B;
        for (int b = 0; b < B; b++) {
            const size_t line = random ? state_.rng.below(uint32_t(lines.size())) : ((offset_base + b) * lines.size()) / total;
            line_row(tokens_, lines[line], line_end_, T_, kIgnoreTarget, inp_.data() + size_t(b) * T_,
                     tgt_.data() + size_t(b) * T_);
        }
        return;
    }
    const size_t n_val = tokens_.size() - n_train_;
    const size_t val_windows = n_val - T_;  // >= 1 by setup()
    for (int b = 0; b < B; b++) {
        size_t start;
        if (random) {
            start = state_.rng.below(uint32_t(n_train_ - T_ - 1));
        } else {
            size_t total = size_t(state_.config.eval_batches) * B;
            start = n_train_ + ((offset_base + b) * val_windows) / total;
        }
        for (int t = 0; t < T_; t++) {
            inp_[size_t(b) * T_ + t] = tokens_[start + t];
            tgt_[size_t(b) * T_ + t] = tokens_[start + t + 1];
        }
    }
}

// Global L2 norm of the gradients. Summed in fixed 64K chunks in double, then the chunks in
// order, so the result does not depend on the thread count.
static float grad_norm(const std::vector<float> & g) {
    const size_t chunk = 65536, nchunks = (g.size() + chunk - 1) / chunk;
    std::vector<double> partial(nchunks, 0.0);
#pragma omp parallel for schedule(static)
    for (size_t c = 0; c < nchunks; c++) {
        double s = 0;
        for (size_t i = c * chunk; i < std::min(g.size(), (c + 1) * chunk); i++) s += double(g[i]) * g[i];
        partial[c] = s;
    }
    double total = 0;
    for (double s : partial) total += s;
    return float(std::sqrt(total));
}

StepStats Trainer::step() {
    MG_CHECK(!done(), "the run has finished all its steps");
    auto t0 = std::chrono::steady_clock::now();
    const TrainConfig & c = state_.config;
    const int B = c.batch_size;
    StepStats st;
    st.passes = sample_passes();
    PassPlan plan;
    plan.passes = st.passes;
    plan.grad_passes = model_.config.backprop_passes;
    plan.dropout = c.dropout;

    gpt_zero_grads(model_);
    double loss_sum = 0;
    for (int micro = 0; micro < c.grad_accum; micro++) {
        load_batch(0, true);
        if (c.dropout > 0) plan.dropout_seed = state_.rng.next_u64();  // drawn only with dropout: runs without it draw as before
        tape_.reset();
        loss_sum += gpt_forward_loss(model_, tape_, inp_.data(), tgt_.data(), B, T_, plan, 1.0f / float(c.grad_accum));
        tape_.backward();
    }
    tape_.reset();
    st.train_loss = float(loss_sum / c.grad_accum);
    if (!std::isfinite(st.train_loss))
        MG_THROW_HINT("training diverged: the loss is not finite at step " + std::to_string(state_.step + 1),
                      "lower --lr (e.g. halve it) or keep --grad_clip at 1");

    st.grad_norm = grad_norm(model_.grads);
    float scale = (c.grad_clip > 0 && st.grad_norm > c.grad_clip) ? c.grad_clip / st.grad_norm : 1.0f;
    st.lr = lr_at(c, state_.step);
    const int t = state_.step + 1;
    {
        ProfileScope timed(kProfileAdamw, false);
        for (int k = 0; k < PARAM_KIND_COUNT; k++) {
            const ParamInfo & p = model_.info[k];
            if (p.size == 0) continue;
            adamw_update(model_.params.data() + p.offset, state_.m.data() + p.offset, state_.v.data() + p.offset,
                         model_.grads.data() + p.offset, p.size, st.lr, c.beta1, c.beta2, c.adam_eps,
                         p.decay ? c.weight_decay : 0.0f, scale, t);
        }
    }
    state_.step++;
    st.step = state_.step;
    st.steps = c.steps;

    bool eval_due = done() || (c.eval_interval > 0 && state_.step % c.eval_interval == 0);
    auto t1 = std::chrono::steady_clock::now();
    st.train_seconds = std::chrono::duration<double>(t1 - t0).count();
    eta_.add_step(st.train_seconds);
    if (eval_due) {
        st.val_loss = evaluate();
        st.eval_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
        eta_.add_eval(st.eval_seconds);
    }
    st.tokens_per_sec = double(B) * T_ * c.grad_accum / std::max(st.train_seconds, 1e-9);
    st.eta_seconds = eta_.eta(c, state_.step);
    return st;
}

// ----------------------------------------------------------------------------
// ETA

// The pace follows about the last 20 steps. The first step pays for the warm-up (page faults,
// the thread team starting), so the second replaces it; until 20 steps are seen the pace is
// their plain mean. A step held up (a neighbour's burst, a page-in) counts as at most 4x the
// pace: one such step moves the ETA by under 15%, a lasting slowdown still shows within steps.
static constexpr double kPaceWeight = 0.05;

void EtaEstimator::add_step(double s) {
    steps_seen_++;
    if (steps_seen_ <= 2) {
        step_ = s;
        return;
    }
    s = std::min(s, 4 * step_);
    step_ += std::max(kPaceWeight, 1.0 / (steps_seen_ - 1)) * (s - step_);
}

void EtaEstimator::add_eval(double s) {
    evals_seen_++;
    eval_ = evals_seen_ == 1 ? s : eval_ + 0.3 * (std::min(s, 4 * eval_) - eval_);
}

// Before any is measured: eval_batches forwards without the tape, a forward about a third of a
// micro-batch's forward and backward.
double EtaEstimator::eval_seconds(const TrainConfig & c) const {
    if (evals_seen_ > 0) return eval_;
    return step_ * double(c.eval_batches) / (3.0 * double(c.grad_accum));
}

int evals_left(const TrainConfig & c, int step) {
    if (step >= c.steps) return 0;
    if (c.eval_interval <= 0) return 1;  // the last step's
    int n = c.steps / c.eval_interval - step / c.eval_interval;
    return n + (c.steps % c.eval_interval != 0 ? 1 : 0);
}

double EtaEstimator::eta(const TrainConfig & c, int step) const {
    return step_ * double(c.steps - step) + eval_seconds(c) * double(evals_left(c, step));
}

// ----------------------------------------------------------------------------

float Trainer::evaluate() {
    const TrainConfig & c = state_.config;
    PassPlan plan;
    plan.passes = model_.config.default_passes();
    bool was = tape_.recording;
    tape_.recording = false;
    double sum = 0;
    for (int i = 0; i < c.eval_batches; i++) {
        load_batch(size_t(i) * c.batch_size, false);
        tape_.reset();
        sum += gpt_forward_loss(model_, tape_, inp_.data(), tgt_.data(), c.batch_size, T_, plan, 1.0f);
    }
    tape_.reset();
    tape_.recording = was;
    return float(sum / c.eval_batches);
}

}  // namespace mg
