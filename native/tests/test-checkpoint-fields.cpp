// Crafted checkpoints (valid checksum, hostile fields) are refused at load with an error that
// names the field (issue 8, items 12-14), and stale temp files of dead savers are removed when
// a checkpoint is opened or written (item 11).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cmath>
#include <functional>
#include <limits>

#include "checkpoint-craft.h"
#include "io/checkpoint.h"
#include "model/gpt.h"
#include "test-util.h"

using namespace mg;
using mgcraft::put;

static std::string tmpdir() {
    char tmpl[] = "/tmp/mg-test-fields-XXXXXX";
    return std::string(mkdtemp(tmpl));
}

static bool exists(const std::string & p) { return access(p.c_str(), F_OK) == 0; }

// Loads a crafted copy of `good` and expects a CHECKPOINT_DAMAGED error containing `needle`.
static void expect_refused(const std::string & dir, const std::string & good, const char * what,
                           const std::function<void(std::string &)> & edit, const std::string & needle) {
    std::string f = good;
    edit(f);
    mgcraft::reseal(f);
    const std::string p = dir + "/crafted.bin";
    mgcraft::write_file(p, f);
    try {
        Checkpoint ck = checkpoint_load(p);
        std::printf("FAIL %s: loaded (params %zu, step %d)\n", what, ck.params.size(), ck.train.step);
        mgtest::failures()++;
    } catch (const error & e) {
        const std::string msg = e.what();
        bool ok = msg.find(needle) != std::string::npos && msg.find("damaged") != std::string::npos &&
                  e.code == errc::kCheckpointDamaged;
        EXPECT_MSG(ok, "%s: error \"%s\" (code %s) lacks \"%s\"", what, msg.c_str(), e.code.c_str(), needle.c_str());
        if (ok) std::printf("  refused %-30s %s\n", what, e.message.substr(e.message.find("damaged: ") + 9).c_str());
    }
}

int main() {
    const std::string dir = tmpdir();
    Tokenizer tok = Tokenizer::from_text("hello, wörld! <|user|>hi<|eot|>");
    ModelConfig c = mgtest::recursive_preset("micro");
    c.vocab_size = tok.vocab_size();
    c.embed_dim = 16, c.num_heads = 2, c.hidden_dim = 24, c.max_seq_len = 8, c.num_layers = 3;
    c.prelude_layers = 1, c.coda_layers = 1, c.max_passes = 3, c.mean_passes = 1.5f, c.backprop_passes = 2;
    GPT m;
    gpt_build(m, c);
    gpt_init_weights(m, 5);
    TrainState st;
    st.config.steps = 77;
    st.config.batch_size = 4;
    st.config.dropout = 0.125f;
    st.step = 12;
    st.rng = Rng(99);
    st.m.assign(m.num_params, 0.5f);
    st.v.assign(m.num_params, 0.25f);
    const std::string path = dir + "/model.bin";
    checkpoint_save(path, m, tok, &st);
    const std::string good = mgcraft::read_file(path);
    {
        // the crafting itself changes nothing the reader checks
        std::string same = good;
        mgcraft::reseal(same);
        EXPECT(same == good);
        mgcraft::write_file(dir + "/same.bin", same);
        EXPECT(checkpoint_load(dir + "/same.bin").train.step == 12);
        EXPECT(checkpoint_load(dir + "/same.bin").train.config.dropout == 0.125f);
        // a file from before dropout (8 floats in TRST) still loads: no dropout, the rest as it was
        std::string older = good;
        mgcraft::trst_before_dropout(older);
        mgcraft::write_file(dir + "/older.bin", older);
        Checkpoint ok = checkpoint_load(dir + "/older.bin");
        EXPECT(ok.train.step == 12 && ok.train.config.dropout == 0.0f && ok.train.config.batch_size == 4 &&
               ok.train.rng.s[0] == st.rng.s[0] && ok.train.m == st.m && ok.train.v == st.v);
    }

    // --- 12: a config whose parameter count overflows 64 bits, with a weights section of the
    // wrapped size; sizes are computed with overflow checks; the weights' length must match
    {
        std::string f = good;
        uint64_t wrapped = mgcraft::craft_overflow_config(f);
        std::printf("  overflow config: the unchecked count wraps to %llu weights\n", (unsigned long long)wrapped);
        mgcraft::write_file(dir + "/overflow.bin", f);
        EXPECT_ERROR(checkpoint_load(dir + "/overflow.bin"), "num_layers 1073741824 is too large");
        ModelConfig huge = c;
        huge.embed_dim = 4, huge.num_layers = 1 << 30, huge.num_heads = 2, huge.hidden_dim = 2147483639;
        huge.prelude_layers = 0, huge.coda_layers = 0, huge.max_passes = 1, huge.mean_passes = 1, huge.backprop_passes = 1;
        EXPECT_ERROR(gpt_count_params(huge), "overflows 64 bits");
        GPT g;
        EXPECT_ERROR(gpt_build(g, huge), "too large");
    }
    const size_t n = m.num_params;
    auto conf = [&](int i, int32_t v) { return [=](std::string & f) { put<int32_t>(f, mgcraft::conf_field(f, i), v); }; };
    expect_refused(dir, good, "embed_dim 2^31-1", conf(1, INT_MAX), "embed_dim 2147483647 is too large");
    expect_refused(dir, good, "hidden_dim 10^7", conf(5, 10000000), "hidden_dim 10000000 is too large");
    expect_refused(dir, good, "num_heads 0", conf(3, 0), "num_heads must be at least 1");
    expect_refused(dir, good, "prelude_layers -5", conf(6, -5), "cannot be negative");
    expect_refused(dir, good, "vocab_size -1", conf(0, -1), "vocab_size must be at least 1");
    expect_refused(dir, good, "weights one short",
                   [&](std::string & f) { mgcraft::resize_section(f, "WGHT", (n - 1) * 4); }, "weights but its config needs");
    expect_refused(dir, good, "weights one too many",
                   [&](std::string & f) { mgcraft::resize_section(f, "WGHT", (n + 1) * 4); }, "weights but its config needs");
    expect_refused(dir, good, "optimizer state one short",
                   [&](std::string & f) { mgcraft::resize_section(f, "TRST", mgcraft::find(f, "TRST").len - 8); },
                   "does not match the model's");

    // --- 13: the training state's fields get the CLI's own limits
    auto trst = [&](int i, int32_t v) { return [=](std::string & f) { put<int32_t>(f, mgcraft::trst_int(f, i), v); }; };
    expect_refused(dir, good, "batch_size 10^6", trst(1, 1000000), "--batch_size 1000000 is too large (limit 65536)");
    expect_refused(dir, good, "grad_accum 10^6", trst(3, 1000000), "--grad_accum 1000000 is too large (limit 4096)");
    expect_refused(dir, good, "eval_batches 10^6", trst(6, 1000000), "--eval_batches 1000000 is too large");
    expect_refused(dir, good, "step INT_MIN", trst(7, INT_MIN), "step -2147483648 is outside [0, 77]");
    expect_refused(dir, good, "step past steps", trst(7, 78), "step 78 is outside [0, 77]");
    expect_refused(dir, good, "steps 0", trst(0, 0), "--steps must be at least 1");
    expect_refused(dir, good, "seq_len past max_seq_len", trst(2, 9), "exceeds the model's max_seq_len 8");
    expect_refused(dir, good, "warmup_steps -1", trst(4, -1), "--warmup_steps must be at least 0");
    expect_refused(dir, good, "lr NaN",
                   [&](std::string & f) { put<float>(f, mgcraft::trst_float(f, 0), std::nanf("")); }, "--lr must be in (0, 1)");
    expect_refused(dir, good, "dropout 1",
                   [&](std::string & f) { put<float>(f, mgcraft::trst_float(f, 8), 1.0f); }, "--dropout must be in [0, 1)");
    expect_refused(dir, good, "adam_eps infinite",
                   [&](std::string & f) { put<float>(f, mgcraft::trst_float(f, 5), INFINITY); }, "adam_eps");
    expect_refused(dir, good, "rng all zeros",
                   [&](std::string & f) {
                       for (int i = 1; i <= 4; i++) put<uint64_t>(f, mgcraft::trst_word(f, i), 0);
                   },
                   "random generator is all zeros");

    // --- 14: code points that are not Unicode scalar values, and non-finite numbers
    const size_t last = tok.chars().size() - 1;
    expect_refused(dir, good, "vocabulary surrogate U+D800",
                   [&](std::string & f) { put<uint32_t>(f, mgcraft::vocab_char(f, last), 0xD800); }, "U+D800, a surrogate");
    expect_refused(dir, good, "vocabulary U+110000",
                   [&](std::string & f) { put<uint32_t>(f, mgcraft::vocab_char(f, last), 0x110000); }, "past U+10FFFF");
    expect_refused(dir, good, "vocabulary 0xFFFFFFFF",
                   [&](std::string & f) { put<uint32_t>(f, mgcraft::vocab_char(f, last), 0xFFFFFFFFu); }, "past U+10FFFF");
    expect_refused(dir, good, "vocabulary unsorted",
                   [&](std::string & f) { put<uint32_t>(f, mgcraft::vocab_char(f, 1), 0x10FFFF); }, "not sorted");
    expect_refused(dir, good, "weight NaN",
                   [&](std::string & f) { put<float>(f, mgcraft::weight(f, 7), std::nanf("")); }, "weight 7 (in wte) is not a finite number");
    expect_refused(dir, good, "weight infinite",
                   [&](std::string & f) { put<float>(f, mgcraft::weight(f, n - 1), -INFINITY); }, "(in lmheadw) is not a finite number");
    expect_refused(dir, good, "optimizer m NaN",
                   [&](std::string & f) { put<float>(f, mgcraft::trst_m(f) + 4 * 3, std::nanf("")); }, "m[3] is not a finite number");
    expect_refused(dir, good, "optimizer v negative",
                   [&](std::string & f) { put<float>(f, mgcraft::trst_m(f) + 4 * (n + 2), -1.0f); }, "v[2] is not a finite number >= 0");

    // --- 11: temp files of dead savers go when the checkpoint is next opened or written;
    // a live process's stay
    {
        pid_t dead = fork();
        if (dead == 0) _exit(0);
        waitpid(dead, nullptr, 0);
        pid_t live = fork();
        if (live == 0) {
            pause();
            _exit(0);
        }
        const std::string dead_tmp = path + ".tmp-" + std::to_string(dead), live_tmp = path + ".tmp-" + std::to_string(live);
        const std::string other = dir + "/model.binx.tmp-" + std::to_string(dead);  // another checkpoint's name
        for (int round = 0; round < 2; round++) {
            mgcraft::write_file(dead_tmp, "half a checkpoint");
            mgcraft::write_file(live_tmp, "a save in progress");
            mgcraft::write_file(other, "not ours");
            if (round == 0) checkpoint_load(path);
            else checkpoint_save(path, m, tok, &st);
            EXPECT_MSG(!exists(dead_tmp), "%s: the dead process's temp file was not removed", round ? "save" : "load");
            EXPECT_MSG(exists(live_tmp), "%s: a live process's temp file was removed", round ? "save" : "load");
            EXPECT(exists(other));
        }
        kill(live, SIGKILL);
        waitpid(live, nullptr, 0);
    }

    std::system(("rm -rf " + dir).c_str());
    return mgtest::finish("test-checkpoint-fields");
}
