// The memory pre-flight (issue 8, item 15): the planned activation arenas equal the real ones
// byte for byte, the whole plan bounds a training process's measured peak from above and within
// 1.5x, the machine's available memory is read from /proc and the cgroup files, and a run that
// does not fit is refused with the numbers and a batch size that does.
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "core/host-memory.h"
#include "data/synthetic-corpus.h"
#include "io/save-target.h"
#include "model/gpt.h"
#include "test-util.h"
#include "train/memory-plan.h"
#include "tokenizer/tokenizer.h"
#include "train/trainer.h"

using namespace mg;

static uint64_t status_kb(const char * key) {  // a "VmRSS:  1234 kB" line of /proc/self/status
    std::ifstream f("/proc/self/status");
    std::string k;
    uint64_t v;
    std::string unit;
    while (f >> k) {
        if (k == key && f >> v) return v;
        std::getline(f, unit);
    }
    return 0;
}

// Child process: tokenizes a text, builds a preset and trains it until a step has run every
// pass and an evaluation has run, as a training session does; prints the plan's total and the
// growth of the peak RSS over the process before any of it.
static int rss_child(const char * preset) {
    const std::string text = synthetic_corpus(300000, 11);
    const uint64_t before = status_kb("VmRSS:") * 1024;
    Tokenizer tok = Tokenizer::from_text(text);
    std::vector<int> tokens = tok.encode(text, true);
    ModelConfig c = mgtest::recursive_preset(preset);
    c.vocab_size = tok.vocab_size();
    c.mean_passes = float(c.max_passes);  // most steps take every pass
    TrainConfig t;
    t.steps = 40, t.eval_interval = 3, t.eval_batches = 1;
    GPT m;
    gpt_build(m, c);
    gpt_init_weights(m, 1);
    Trainer tr(m, t, tokens);
    int steps = 0, most = 0;
    for (bool evaluated = false; !(steps >= 3 && most == c.max_passes && evaluated);) {
        StepStats st = tr.step();
        steps++;
        most = std::max(most, st.passes);
        evaluated |= st.val_loss >= 0;
    }
    const uint64_t peak = status_kb("VmHWM:") * 1024;
    const MemoryPlan plan = plan_training_memory(c, t, text.size(), tokens.size());
    std::printf("%llu %llu %d %d\n", (unsigned long long)plan.total, (unsigned long long)(peak - before), steps, most);
    return 0;
}

static void check_exact(const char * what, ModelConfig c, int B, int T, float dropout = 0) {
    Tokenizer tok = Tokenizer::ascii();
    c.vocab_size = tok.vocab_size();
    GPT m;
    gpt_build(m, c);
    gpt_init_weights(m, 3);
    gpt_enable_grads(m);
    TapePlan plan = plan_tape(c, B, T, dropout > 0);
    Tape tape;
    tape.reserve(plan.acts, plan.grads);
    Rng rng(7);
    std::vector<int> inp(size_t(B) * T), tgt(inp.size());
    for (size_t i = 0; i < inp.size(); i++) inp[i] = int(rng.below(uint32_t(c.vocab_size))), tgt[i] = int(rng.below(uint32_t(c.vocab_size)));
    PassPlan pp;
    pp.passes = c.recurrent() ? c.max_passes : 1;
    pp.grad_passes = c.backprop_passes;
    pp.dropout = dropout, pp.dropout_seed = 99;
    gpt_forward_loss(m, tape, inp.data(), tgt.data(), B, T, pp, 1.0f);
    const size_t entries = tape.num_entries();
    tape.backward();
    tape.reset();
    tape.recording = false;  // an evaluation, as Trainer::evaluate runs it
    PassPlan ep;
    ep.passes = c.default_passes();
    gpt_forward_loss(m, tape, inp.data(), tgt.data(), B, T, ep, 1.0f);
    tape.reset();
    const bool exact = tape.acts.high_water() == plan.acts && tape.grads.high_water() == plan.grads &&
                       entries == plan.entries && tape.acts.block_allocs() == 1 && tape.grads.block_allocs() == 1;
    std::printf("  %-34s activations %9zu planned %9zu | gradients %9zu planned %9zu | entries %zu/%zu\n", what,
                tape.acts.high_water(), plan.acts, tape.grads.high_water(), plan.grads, entries, plan.entries);
    EXPECT_MSG(exact, "%s: the plan is not the arenas' real high-water mark", what);
}

static void fake_file(const std::string & p, const std::string & text) {
    std::system(("mkdir -p '" + parent_dir(p) + "'").c_str());
    std::ofstream(p) << text;
}

int main(int argc, char ** argv) {
    if (argc == 3 && !std::strcmp(argv[1], "rss")) return rss_child(argv[2]);

    // --- the plan is the arenas' high-water mark, exactly
    {
        ModelConfig c;
        c.embed_dim = 16, c.num_layers = 4, c.num_heads = 2, c.max_seq_len = 12, c.hidden_dim = 40;
        c.prelude_layers = 1, c.coda_layers = 1, c.max_passes = 4, c.mean_passes = 2, c.backprop_passes = 2;
        check_exact("recursive, 2 of 4 passes taped", c, 3, 12);
        ModelConfig all = c;
        all.max_passes = 3, all.backprop_passes = 3;
        check_exact("recursive, every pass taped", all, 2, 7);
        ModelConfig plain = c;
        plain.max_passes = 1, plain.mean_passes = 1, plain.backprop_passes = 1;
        check_exact("plain GPT", plain, 4, 12);
        check_exact("plain GPT, dropout", plain, 4, 12, 0.2f);
        check_exact("recursive, 2 of 4 taped, dropout", c, 3, 12, 0.1f);
        ModelConfig core = c;
        core.num_layers = 2, core.prelude_layers = 0, core.coda_layers = 0, core.max_passes = 5, core.backprop_passes = 1;
        core.mean_passes = 3;
        check_exact("all core, 1 of 5 passes taped", core, 1, 5);
        ModelConfig eight = mgtest::recursive_preset("8gb");
        check_exact("8gb, batch 4", eight, 4, 64);
    }

    // --- a trainer takes its arenas once, at the plan's size, and never grows them
    {
        ModelConfig c;
        c.embed_dim = 16, c.num_layers = 3, c.num_heads = 2, c.max_seq_len = 16, c.hidden_dim = 32;
        c.prelude_layers = 1, c.coda_layers = 1, c.mean_passes = 2, c.max_passes = 4, c.backprop_passes = 2;
        std::string text = synthetic_corpus(20000, 3);
        Tokenizer tok = Tokenizer::from_text(text);
        std::vector<int> tokens = tok.encode(text, true);
        c.vocab_size = tok.vocab_size();
        GPT m;
        gpt_build(m, c);
        gpt_init_weights(m, 1);
        TrainConfig t;
        t.steps = 20, t.batch_size = 4, t.eval_interval = 5, t.eval_batches = 2;
        Trainer tr(m, t, tokens);
        const TapePlan plan = plan_tape(c, t.batch_size, tr.seq_len());
        const size_t allocs = tr.heap_allocs();
        while (!tr.done()) tr.step();
        EXPECT_MSG(tr.activation_bytes() == plan.acts + plan.grads && tr.heap_allocs() == allocs,
                   "arenas %zu bytes (planned %zu), heap allocations %zu -> %zu", tr.activation_bytes(),
                   plan.acts + plan.grads, allocs, tr.heap_allocs());
    }

    // --- the whole plan against a real process's peak RSS
    if (mgtest::reduced()) std::printf("  (peak RSS not compared: under emulation the RSS is the emulator's)\n");
    for (const char * preset : {"8gb", "16gb"}) {
        if (mgtest::reduced()) break;
        std::string cmd = std::string("'") + argv[0] + "' rss " + preset;
        FILE * p = popen(cmd.c_str(), "r");
        unsigned long long plan = 0, peak = 0;
        int steps = 0, most = 0;
        int got = p ? std::fscanf(p, "%llu %llu %d %d", &plan, &peak, &steps, &most) : 0;
        int rc = p ? pclose(p) : -1;
        EXPECT_MSG(got == 4 && rc == 0, "%s: the measuring child failed", preset);
        if (got != 4) continue;
        const double ratio = double(plan) / double(peak);
        std::printf("  %-5s planned %7.1f MiB, measured peak RSS growth %7.1f MiB (%d steps, up to %d passes): plan/peak %.2f\n",
                    preset, plan / 1048576.0, peak / 1048576.0, steps, most, ratio);
        EXPECT_MSG(ratio >= 1.0 && ratio <= 1.5, "%s: the plan (%llu) must bound the peak (%llu) from above, within 1.5x",
                   preset, plan, peak);
    }

    // --- available memory: MemAvailable, lowered by the tightest cgroup (v2 and v1)
    {
        char tmpl[] = "/tmp/mg-test-mem-XXXXXX";
        const std::string root = mkdtemp(tmpl);
        fake_file(root + "/proc/meminfo", "MemTotal:  8000000 kB\nMemFree:  10 kB\nMemAvailable:    1000 kB\n");
        HostMemory h = probe_host_memory(root);
        EXPECT(h.known && h.available == 1024000 && h.cgroup_room == UINT64_MAX);
        fake_file(root + "/proc/self/cgroup", "0::/app/job\n");
        fake_file(root + "/sys/fs/cgroup/app/job/memory.max", "max\n");
        fake_file(root + "/sys/fs/cgroup/app/memory.max", "600000\n");
        fake_file(root + "/sys/fs/cgroup/app/memory.current", "200000\n");
        fake_file(root + "/sys/fs/cgroup/app/memory.stat", "anon 1\ninactive_file 50000\nactive_file 9\n");
        h = probe_host_memory(root);
        EXPECT_MSG(h.available == 450000 && h.source.find("memory.max") != std::string::npos,
                   "cgroup v2: available %llu from %s", (unsigned long long)h.available, h.source.c_str());
        fake_file(root + "/proc/self/cgroup", "5:cpu,cpuacct:/x\n4:memory:/x/y\n");
        fake_file(root + "/sys/fs/cgroup/memory/x/y/memory.limit_in_bytes", "9223372036854771712\n");  // unlimited
        fake_file(root + "/sys/fs/cgroup/memory/memory.limit_in_bytes", "300000\n");
        fake_file(root + "/sys/fs/cgroup/memory/memory.usage_in_bytes", "100000\n");
        h = probe_host_memory(root);
        EXPECT_MSG(h.available == 200000 && h.source.find("limit_in_bytes") != std::string::npos,
                   "cgroup v1: available %llu from %s", (unsigned long long)h.available, h.source.c_str());
        std::system(("rm -rf '" + root + "'").c_str());
        HostMemory real = probe_host_memory();
        std::printf("  this machine: %s available (%s)\n", format_bytes(real.available).c_str(), real.source.c_str());
        EXPECT(real.known && real.available > 0);
    }

    // --- a run that does not fit is refused with the numbers and the largest batch that fits
    {
        ModelConfig med = mgtest::recursive_preset("medium");
        med.vocab_size = 68;
        TrainConfig t;
        t.batch_size = 65536;
        const uint64_t avail = 16ULL << 30;
        try {
            check_training_memory(med, t, 0, 0, 0, avail, "a test", true);
            EXPECT_MSG(false, "medium at batch 65536 was not refused");
        } catch (const error & e) {
            std::printf("  refused: %s\n  HINT: %s\n", e.message.c_str(), e.hint.c_str());
            EXPECT(e.code == errc::kOutOfMemory);
            EXPECT(e.message.find("needs about") != std::string::npos && e.message.find("17.2 GB") != std::string::npos);
            int b = 0;
            size_t at = e.hint.find("batch size to ");
            if (at != std::string::npos) b = std::atoi(e.hint.c_str() + at + 14);
            TrainConfig fits = t, over = t;
            fits.batch_size = b, over.batch_size = b + 1;
            EXPECT_MSG(b >= 1 && plan_training_memory(med, fits).total <= avail && plan_training_memory(med, over).total > avail,
                       "the suggested batch %d is not the largest that fits", b);
        }
        // already-resident bytes (a loaded checkpoint) are not counted twice
        ModelConfig eight = mgtest::recursive_preset("8gb");
        eight.vocab_size = 68;
        TrainConfig small;
        const MemoryPlan p = plan_training_memory(eight, small);
        check_training_memory(eight, small, 0, 0, p.weights, p.total - p.weights, "a test", false);
        EXPECT_ERROR(check_training_memory(eight, small, 0, 0, 0, p.total - p.weights, "a test", false), "available (a test)");
        // when even batch 1 is too much, a smaller preset that fits is named
        TrainConfig one;
        one.batch_size = 1;
        ModelConfig micro = mgtest::recursive_preset("micro");
        micro.vocab_size = 68;
        micro.max_passes = eight.max_passes, micro.mean_passes = eight.mean_passes;
        micro.backprop_passes = eight.backprop_passes;
        const MemoryPlan tiny = plan_training_memory(micro, one);
        EXPECT_ERROR(check_training_memory(eight, one, 0, 0, 0, tiny.total, "a test", true), "smaller preset micro");
    }
    return mgtest::finish("test-memory-plan");
}
