// The whole-split evaluation (eval/evaluate.h): its loss against the training forward's loss on
// the same windows summed by hand, every target counted once, the trainer's val split, the same
// result at 1 and 2 threads and at any batch size, passes that change the loss of a recursive
// model, adaptive depth through the decoder, and its refusals.
#include <omp.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "autograd/tape.h"
#include "data/line-split.h"
#include "data/synthetic-corpus.h"
#include "eval/evaluate.h"
#include "io/checkpoint.h"
#include "test-util.h"
#include "train/memory-plan.h"
#include "train/trainer.h"

using namespace mg;

static void build(GPT & m, int vocab, bool recurrent) {
    ModelConfig c;
    c.vocab_size = vocab;
    c.embed_dim = 24, c.num_layers = 3, c.num_heads = 3, c.max_seq_len = 16, c.hidden_dim = 40;
    c.prelude_layers = 1, c.coda_layers = 1;
    c.max_passes = recurrent ? 4 : 1, c.mean_passes = recurrent ? 2 : 1, c.backprop_passes = recurrent ? 2 : 1;
    gpt_build(m, c);
    gpt_init_weights(m, 11);
    Rng rng(3);  // larger weights than init, so positions and passes give visibly different losses
    for (auto & p : m.params) p += 0.1f * rng.normal();
}

static std::vector<int> random_tokens(size_t n, int vocab, uint64_t seed) {
    Rng rng(seed);
    std::vector<int> t(n);
    for (int & x : t) x = int(rng.below(uint32_t(vocab)));
    return t;
}

static std::string code_of(const std::function<void()> & fn) {
    try {
        fn();
    } catch (const error & e) {
        return e.code.empty() ? "(none)" : e.code;
    }
    return "";
}

// The reference: window by window through gpt_forward_loss (mean over the window, times its
// length), marking every target position it counts.
static double reference_loss(GPT & m, const std::vector<int> & tok, size_t begin, size_t end, int T, int passes,
                             std::vector<int> & counted) {
    Tape tape;
    tape.recording = false;
    PassPlan plan;
    plan.passes = passes;
    counted.assign(tok.size(), 0);
    double sum = 0;
    size_t n = 0;
    for (size_t s = begin; s + 1 < end; s += T) {
        const int len = int(std::min<size_t>(T, end - 1 - s));
        std::vector<int> inp(tok.begin() + s, tok.begin() + s + len), tgt(tok.begin() + s + 1, tok.begin() + s + 1 + len);
        tape.reset();
        sum += double(gpt_forward_loss(m, tape, inp.data(), tgt.data(), 1, len, plan, 1.0f)) * len;
        for (int t = 0; t < len; t++) counted[s + 1 + t]++;
        n += len;
    }
    return sum / double(n);
}

static void test_against_forward() {
    GPT m;
    build(m, 20, true);
    const std::vector<int> tok = random_tokens(300, 20, 5);
    const size_t begin = 37, end = 300;  // 262 targets: 16 windows of 16 and one of 6
    for (int passes : {1, 2, 3}) {
        EvalConfig c;
        c.passes = passes, c.batch_size = 5, c.seq_len = 16;
        EvalResult r = evaluate_tokens(m, tok, begin, end, c);
        std::vector<int> counted;
        const double ref = reference_loss(m, tok, begin, end, 16, passes, counted);
        bool once = true;
        for (size_t i = 0; i < tok.size(); i++) once &= counted[i] == ((i > begin && i < end) ? 1 : 0);
        std::printf("  passes %d: loss %.6f, by hand %.6f, diff %.2g; %zu tokens, %zu windows\n", passes, r.loss, ref,
                    std::fabs(r.loss - ref), r.tokens, r.windows);
        EXPECT(std::fabs(r.loss - ref) <= 1e-5);
        EXPECT(once);
        EXPECT(r.tokens == end - begin - 1 && r.windows == 17 && r.seq_len == 16);
        EXPECT(std::fabs(r.bits_per_char - r.loss / std::log(2.0)) < 1e-12);
        EXPECT(r.mean_passes == passes && r.tokens_per_sec > 0 && r.ms_per_token > 0);
    }
    EXPECT(m.grads.empty());  // inference only: the evaluation never asked for gradients
    // the arena the batched path reserves is exactly what a tapeless forward and its loss reach
    for (int passes : {1, 3}) {
        Tape tape;
        tape.recording = false;
        PassPlan plan;
        plan.passes = passes;
        std::vector<int> tgt(tok.begin() + 1, tok.begin() + 1 + 5 * 16);
        gpt_forward_loss(m, tape, tok.data(), tgt.data(), 5, 16, plan, 1.0f);
        const size_t planned = plan_inference_acts(m.config, 5, 16, passes);
        EXPECT_MSG(tape.acts.high_water() == planned, "passes %d: arena high water %zu, planned %zu", passes,
                   tape.acts.high_water(), planned);
    }
}

// The same bits at 1 and 2 threads; the same loss at any batch size; passes change the loss.
static void test_determinism_and_passes() {
    GPT m;
    build(m, 20, true);
    const std::vector<int> tok = random_tokens(400, 20, 8);
    auto run = [&](int threads, int passes, int batch, bool adaptive) {
        omp_set_num_threads(threads);
        EvalConfig c;
        c.passes = passes, c.batch_size = batch, c.adaptive = adaptive, c.kl_threshold = 1e-3f;
        EvalResult r = evaluate_tokens(m, tok, 0, tok.size(), c);
        omp_set_num_threads(2);
        return r;
    };
    for (bool adaptive : {false, true}) {
        EvalResult one = run(1, 3, 4, adaptive), two = run(2, 3, 4, adaptive);
        std::printf("  %s: 1 thread %.9f, 2 threads %.9f (mean passes %.3f, %.3f)\n", adaptive ? "adaptive" : "fixed",
                    one.loss, two.loss, one.mean_passes, two.mean_passes);
        EXPECT(std::fabs(one.loss - two.loss) <= 1e-6);
        EXPECT(one.mean_passes == two.mean_passes);
    }
    EvalResult b1 = run(2, 2, 1, false), b7 = run(2, 2, 7, false);
    std::printf("  batch 1 vs 7: diff %.2g\n", std::fabs(b1.loss - b7.loss));
    EXPECT(std::fabs(b1.loss - b7.loss) <= 1e-5);
    EvalResult p1 = run(2, 1, 8, false), p2 = run(2, 2, 8, false);
    std::printf("  passes 1: %.5f, passes 2: %.5f\n", p1.loss, p2.loss);
    EXPECT(std::fabs(p1.loss - p2.loss) > 1e-3);
}

// Adaptive runs the decoder: with a threshold nothing meets it runs every pass and matches the
// batched forward; with one everything meets it stops after the second pass.
static void test_adaptive() {
    GPT m;
    build(m, 20, true);
    const std::vector<int> tok = random_tokens(200, 20, 9);
    EvalConfig fixed;
    fixed.passes = 4;
    EvalResult f = evaluate_tokens(m, tok, 0, tok.size(), fixed);
    EvalConfig tight = fixed, loose = fixed;
    tight.adaptive = loose.adaptive = true;
    tight.kl_threshold = 1e-30f, loose.kl_threshold = 1e6f;
    EvalResult t = evaluate_tokens(m, tok, 0, tok.size(), tight), l = evaluate_tokens(m, tok, 0, tok.size(), loose);
    std::printf("  adaptive: tight %.6f (mean passes %.2f) vs fixed 4 %.6f; loose mean passes %.2f\n", t.loss,
                t.mean_passes, f.loss, l.mean_passes);
    EXPECT(std::fabs(t.loss - f.loss) <= 1e-4 && t.mean_passes == 4.0);
    EXPECT(l.mean_passes == 2.0 && l.tokens == f.tokens);
    EvalResult p2 = evaluate_tokens(m, tok, 0, tok.size(), [] { EvalConfig c; c.passes = 2; return c; }());
    EXPECT(std::fabs(l.loss - p2.loss) <= 1e-4);  // stopping after two passes is two passes
}

// run_evaluation cuts the trainer's split: it starts where the trainer's val part does, and
// knows the run's own text from another one.
static void test_split(const std::string & dir) {
    const std::string text = synthetic_corpus(6000, 5);
    Tokenizer tok = Tokenizer::from_text(text);
    const std::vector<int> ids = tok.encode(text, true);
    GPT m;
    ModelConfig c = mgtest::recursive_preset("micro");
    c.embed_dim = 32, c.hidden_dim = 64, c.max_seq_len = 32, c.vocab_size = tok.vocab_size();
    gpt_build(m, c);
    gpt_init_weights(m, 1);
    TrainConfig tc;
    tc.steps = 2, tc.batch_size = 2, tc.seq_len = 24, tc.val_fraction = 0.15f, tc.eval_interval = 0, tc.eval_batches = 1;
    Trainer trainer(m, tc, ids);
    trainer.step();
    const std::string ck = dir + "/m.bin", data = dir + "/data.txt", other = dir + "/other.txt";
    checkpoint_save(ck, m, tok, &trainer.state());
    std::ofstream(data) << text;
    std::ofstream(other) << text.substr(0, text.size() / 2);

    EvalRequest r;
    r.checkpoint_path = ck, r.data_path = data;
    EvalReport rep = run_evaluation(r);
    std::printf("  split: begins at %zu (trainer %zu), %zu val tokens, %zu evaluated, windows of %d, loss %.4f\n",
                rep.split_begin, trainer.train_tokens(), trainer.val_tokens(), rep.result.tokens, rep.result.seq_len,
                rep.result.loss);
    EXPECT(rep.split_begin == trainer.train_tokens() && rep.split_end == ids.size());
    EXPECT(rep.result.tokens == trainer.val_tokens() - 1);
    EXPECT(rep.result.seq_len == 24 && rep.val_fraction == 0.15f && rep.split_seq_len == 24);
    EXPECT(rep.data_is_training_data && *rep.data_is_training_data);
    GPT copy;
    Checkpoint loaded = checkpoint_load(ck);
    gpt_from_checkpoint(copy, loaded);
    EvalConfig same;
    same.seq_len = 24;
    EXPECT(evaluate_tokens(copy, ids, trainer.train_tokens(), ids.size(), same).loss == rep.result.loss);

    r.split = EvalSplit::all;
    EvalReport all = run_evaluation(r);
    EXPECT(all.split_begin == 0 && all.result.tokens == ids.size() - 1);
    r.data_path = other;
    r.split = EvalSplit::val;
    EvalReport half = run_evaluation(r);
    EXPECT(half.data_is_training_data && !*half.data_is_training_data);
    r.val_fraction = 0.3f;
    EXPECT(run_evaluation(r).val_fraction == 0.3f);
}

static void test_refusals(const std::string & dir) {
    GPT plain, rec;
    build(plain, 20, false);
    build(rec, 20, true);
    const std::vector<int> tok = random_tokens(100, 20, 1);
    auto eval = [&](GPT & m, EvalConfig c, size_t b = 0, size_t e = 100, const std::atomic<bool> * cancel = nullptr) {
        return [&m, c, b, e, cancel, &tok] { evaluate_tokens(m, tok, b, e, c, cancel); };
    };
    EvalConfig two;
    two.passes = 2;
    EXPECT(code_of(eval(plain, two)) == errc::kBadRequest);
    EvalConfig adaptive;
    adaptive.adaptive = true;
    EXPECT(code_of(eval(plain, adaptive)) == "");  // a plain model has one pass to run
    EvalConfig long_window;
    long_window.seq_len = 17;
    EXPECT(code_of(eval(rec, long_window)) == errc::kBadRequest);
    EvalConfig bad_kl;
    bad_kl.adaptive = true, bad_kl.kl_threshold = 0;
    EXPECT(code_of(eval(rec, bad_kl)) == errc::kBadRequest);
    EvalConfig many;
    many.passes = 65;
    EXPECT(code_of(eval(rec, many)) == errc::kBadRequest);
    EXPECT(code_of(eval(rec, EvalConfig{}, 50, 51)) == errc::kBadRequest);  // one token predicts nothing
    std::atomic<bool> stop{true};
    EXPECT(code_of(eval(rec, EvalConfig{}, 0, 100, &stop)) == errc::kCancelled);
    EvalConfig deep = two;
    deep.adaptive = true;
    EXPECT(code_of(eval(rec, deep, 0, 100, &stop)) == errc::kCancelled);

    EvalRequest r;
    r.checkpoint_path = dir + "/m.bin";
    EXPECT(code_of([&] { run_evaluation(r); }) == errc::kBadRequest);  // no text
    r.data_path = dir + "/data.txt";
    r.val_fraction = 0.6f;
    EXPECT(code_of([&] { run_evaluation(r); }) == errc::kBadRequest);
    EXPECT(code_of([] { eval_split_from_name("train"); }) == errc::kBadRequest);
    r.val_fraction.reset();
    std::ofstream(dir + "/alien.txt") << "Zebras \xe2\x9c\x93";
    r.data_path = dir + "/alien.txt";
    EXPECT_ERROR(run_evaluation(r), "never saw");
}

// Each line its own sequence (line_end >= 0, the trainer's line_sequences): every target of the
// span counted once, each line read from the line_end before it and nothing of the lines before,
// the same rows the trainer builds (line_row), a line longer than the window cut into windows,
// and the same loss batched and through the decoder.
static void test_line_sequences() {
    GPT m;
    build(m, 20, true);
    const int nl = 0;  // token 0 ends a line
    std::vector<int> tok;
    Rng rng(21);
    for (int line = 0; line < 40; line++) {
        const int len = line == 7 ? 23 : 1 + int(rng.below(9));  // line 7 is longer than a window of 16
        for (int k = 0; k < len; k++) tok.push_back(1 + int(rng.below(19)));
        tok.push_back(nl);
    }
    size_t begin = 0;  // the span starts at the 5th line, after a line_end it reads but does not score
    for (int seen = 0; seen < 4; begin++) seen += tok[begin] == nl;
    const size_t end = tok.size();
    for (int passes : {1, 3}) {
        EvalConfig c;
        c.passes = passes, c.batch_size = 4, c.seq_len = 16;
        EvalResult r = evaluate_tokens(m, tok, begin, end, c, nullptr, nl);
        // by hand: each line alone, from the line_end before it, in windows of up to 16
        Tape tape;
        tape.recording = false;
        PassPlan plan;
        plan.passes = passes;
        double sum = 0;
        size_t n = 0, windows = 0;
        for (size_t s = begin; s < end;) {
            size_t e = s;
            while (tok[e] != nl) e++;
            for (size_t o = s - 1; o < e; o += 16) {  // targets o+1 .. e
                const int len = int(std::min<size_t>(16, e - o));
                std::vector<int> inp(tok.begin() + o, tok.begin() + o + len), tgt(tok.begin() + o + 1, tok.begin() + o + 1 + len);
                tape.reset();
                sum += double(gpt_forward_loss(m, tape, inp.data(), tgt.data(), 1, len, plan, 1.0f)) * len;
                n += len, windows++;
            }
            s = e + 1;
        }
        std::printf("  lines, passes %d: loss %.6f, by hand %.6f; %zu tokens in %zu windows\n", passes, r.loss, sum / n,
                    r.tokens, r.windows);
        EXPECT(std::fabs(r.loss - sum / double(n)) <= 1e-5);
        EXPECT(r.tokens == end - begin && n == r.tokens && r.windows == windows && windows == 37);
        // a window never sees the line before: changing it leaves the loss as it is
        std::vector<int> other = tok;
        for (size_t i = 0; i + 1 < begin; i++)
            if (other[i] != nl) other[i] = 1 + (other[i] % 19);
        EXPECT(std::fabs(evaluate_tokens(m, other, begin, end, c, nullptr, nl).loss - r.loss) <= 1e-6);
        if (passes == 3) {  // the decoder path scores the same windows
            EvalConfig a = c;
            a.adaptive = true, a.kl_threshold = 1e-30f;  // so tight that every token runs all its passes
            EvalResult d = evaluate_tokens(m, tok, begin, end, a, nullptr, nl);
            std::printf("  lines, decoder: loss %.6f, mean passes %.3f\n", d.loss, d.mean_passes);
            EXPECT(std::fabs(d.loss - r.loss) <= 1e-4 && d.tokens == r.tokens && d.windows == r.windows);
        }
    }
    // the trainer's row for a line: [line_end, line], targets [line, line_end], the rest ignored
    int inp[8], tgt[8];
    const std::vector<int> three = {5, 0, 7, 8, 9, 0, 4};
    line_row(three, 2, 0, 8, -1, inp, tgt);
    const std::vector<int> want_inp = {0, 7, 8, 9, 0, 0, 0, 0}, want_tgt = {7, 8, 9, 0, -1, -1, -1, -1};
    EXPECT(std::vector<int>(inp, inp + 8) == want_inp && std::vector<int>(tgt, tgt + 8) == want_tgt);
    line_row(three, 2, 0, 4, -1, inp, tgt);  // exactly fits
    EXPECT(std::vector<int>(tgt, tgt + 4) == std::vector<int>({7, 8, 9, 0}) && std::vector<int>(inp, inp + 4) == std::vector<int>({0, 7, 8, 9}));
}

int main() {
    char tmpl[] = "/tmp/mg-test-evaluate-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    test_against_forward();
    test_determinism_and_passes();
    test_adaptive();
    test_line_sequences();
    test_split(dir);
    test_refusals(dir);
    if (std::system(("rm -rf " + dir).c_str()) != 0) std::printf("  (could not remove %s)\n", dir.c_str());
    return mgtest::finish("test-evaluate");
}
