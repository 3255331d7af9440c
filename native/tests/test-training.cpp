// Training mechanics: determinism, exact resume through a checkpoint, AdamW and the schedule,
// and no heap allocation in the steady-state loop.
#include <omp.h>
#include <unistd.h>

#include <cmath>
#include <cstring>

#include "data/synthetic-corpus.h"
#include "io/checkpoint.h"
#include "test-util.h"
#include "train/schedule.h"
#include "train/trainer.h"

using namespace mg;

static ModelConfig small_config(int vocab) {
    ModelConfig c;
    c.vocab_size = vocab;
    c.embed_dim = 16, c.num_layers = 3, c.num_heads = 2, c.max_seq_len = 16, c.hidden_dim = 32;
    c.prelude_layers = 1, c.coda_layers = 1, c.mean_passes = 2, c.max_passes = 4, c.backprop_passes = 2;
    return c;
}

static TrainConfig train_config() {
    TrainConfig t;
    t.steps = 30, t.batch_size = 4, t.warmup_steps = 5, t.eval_interval = 10, t.eval_batches = 2, t.grad_accum = 2;
    t.lr = 3e-3f;
    return t;
}

int main() {
    std::string text = synthetic_corpus(20000, 3);
    Tokenizer tok = Tokenizer::from_text(text);
    std::vector<int> tokens = tok.encode(text, true);
    const ModelConfig mc = small_config(tok.vocab_size());
    const TrainConfig tc = train_config();

    // --- schedule: warmup rises linearly, cosine ends at min_lr
    {
        TrainConfig s;
        s.steps = 100, s.warmup_steps = 10, s.lr = 1.0f, s.min_lr = 0.1f;
        EXPECT(std::fabs(lr_at(s, 0) - 0.1f) < 1e-6f && std::fabs(lr_at(s, 9) - 1.0f) < 1e-6f);
        EXPECT(std::fabs(lr_at(s, 10) - 1.0f) < 1e-6f && std::fabs(lr_at(s, 100) - 0.1f) < 1e-6f);
        EXPECT(lr_at(s, 40) > lr_at(s, 60));
    }

    // --- a fixed seed and thread count gives the same weights; exact resume matches bitwise
    omp_set_num_threads(1);
    auto fresh = [&](GPT & m) {
        gpt_build(m, mc);
        gpt_init_weights(m, tc.seed);
    };
    GPT a, b;
    fresh(a);
    fresh(b);
    std::vector<float> a_losses;
    {
        Trainer ta(a, tc, tokens);
        while (!ta.done()) a_losses.push_back(ta.step().train_loss);
        Trainer tb(b, tc, tokens);
        int i = 0;
        bool same = true;
        while (!tb.done()) same &= tb.step().train_loss == a_losses[i++];
        EXPECT_MSG(same && a.params == b.params, "two runs with one seed and one thread must be identical");
    }
    std::string path = "/tmp/mg-test-resume-" + std::to_string(getpid()) + ".bin";
    {
        GPT c;
        fresh(c);
        {
            Trainer tc1(c, tc, tokens);
            for (int s = 0; s < 13; s++) tc1.step();  // stop mid-run, between evaluations
            checkpoint_save(path, c, tok, &tc1.state());
        }
        Checkpoint ck = checkpoint_load(path);
        GPT r;
        TrainState st = std::move(ck.train);
        gpt_from_checkpoint(r, ck);
        Trainer tr(r, std::move(st), tokens);
        EXPECT(tr.state().step == 13);
        bool same_losses = true;
        for (int s = 13; !tr.done(); s++) same_losses &= tr.step().train_loss == a_losses[s];
        EXPECT_MSG(same_losses, "resumed losses must match the uninterrupted run");
        EXPECT_MSG(r.params == a.params, "resumed weights must equal the uninterrupted run's, bitwise");
        // resuming on other data is refused
        std::vector<int> other = tokens;
        other[100] = (other[100] + 1) % tok.vocab_size();
        Checkpoint ck2 = checkpoint_load(path);
        GPT r2;
        TrainState st2 = std::move(ck2.train);
        gpt_from_checkpoint(r2, ck2);
        EXPECT_ERROR(Trainer(r2, std::move(st2), other), "not the data");
    }
    // --- dropout: its masks come from the run's generator, so a resumed run still matches bitwise,
    // and it changes the run (it is not a no-op)
    {
        TrainConfig dc = tc;
        dc.dropout = 0.2f;
        GPT u, c;
        fresh(u);
        fresh(c);
        std::vector<float> losses;
        Trainer tu(u, dc, tokens);
        while (!tu.done()) losses.push_back(tu.step().train_loss);
        {
            Trainer t1(c, dc, tokens);
            for (int s = 0; s < 13; s++) t1.step();
            checkpoint_save(path, c, tok, &t1.state());
        }
        Checkpoint ck = checkpoint_load(path);
        EXPECT(ck.train.config.dropout == 0.2f);
        GPT r;
        TrainState st = std::move(ck.train);
        gpt_from_checkpoint(r, ck);
        Trainer tr(r, std::move(st), tokens);
        bool same = true;
        for (int s = 13; !tr.done(); s++) same &= tr.step().train_loss == losses[s];
        EXPECT_MSG(same && r.params == u.params, "a resumed run with dropout must match the uninterrupted one bitwise");
        EXPECT_MSG(losses != a_losses && u.params != a.params, "dropout 0.2 changed nothing");
        EXPECT_MSG(std::fabs(tu.evaluate() - Trainer(u, tc, tokens).evaluate()) < 1e-6, "evaluation must not drop out");
    }
    std::remove(path.c_str());

    // --- at 2 threads too, two runs agree (the kernels split work by rows, not by thread count)
    omp_set_num_threads(2);
    {
        GPT d;
        fresh(d);
        Trainer td(d, tc, tokens);
        while (!td.done()) td.step();
        EXPECT_MSG(d.params == a.params, "2-thread run should match the 1-thread run bitwise");
    }

    // --- no heap allocation once the largest step has been seen
    {
        GPT e;
        ModelConfig fixed = mc;
        fixed.mean_passes = 4;  // every step samples max_passes: the first step is the largest
        gpt_build(e, fixed);
        gpt_init_weights(e, 1);
        TrainConfig t = tc;
        t.steps = 12;
        t.eval_interval = 3;
        Trainer te(e, t, tokens);
        te.step();
        te.step();
        size_t allocs = te.heap_allocs();
        while (!te.done()) te.step();
        EXPECT_MSG(te.heap_allocs() == allocs, "steady-state steps allocated: %zu -> %zu", allocs, te.heap_allocs());
        std::printf("  activation arenas: %.2f MiB for batch %d x %d\n", te.activation_bytes() / 1048576.0,
                    t.batch_size, te.seq_len());
    }

    // --- bad settings and too little data are clear errors
    {
        GPT f;
        fresh(f);
        TrainConfig bad = tc;
        bad.lr = -1;
        EXPECT_ERROR(Trainer(f, bad, tokens), "--lr");
        bad = tc;
        bad.seq_len = 99;
        EXPECT_ERROR(Trainer(f, bad, tokens), "exceeds the model's max_seq_len");
        std::vector<int> tiny(tokens.begin(), tokens.begin() + 20);
        EXPECT_ERROR(Trainer(f, tc, tiny), "needs at least");
    }
    return mgtest::finish("test-training");
}
