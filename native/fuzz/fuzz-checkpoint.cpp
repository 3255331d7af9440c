#include "fuzz-checkpoint.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include "core/error.h"
#include "io/checkpoint.h"
#include "model/gpt.h"
#include "train/memory-plan.h"
#include "train/trainer.h"

namespace mgfuzz {

using namespace mg;

static const char * const kChars = "\n abcdefghijklmnopqrstuvwxyz.,";

const std::vector<int> & fuzz_tokens() {
    static const std::vector<int> tokens = [] {
        const int n = int(std::char_traits<char>::length(kChars));
        std::vector<int> t(3000);
        for (size_t i = 0; i < t.size(); i++) t[i] = NUM_SPECIAL_TOKENS + int((i * 7 + i / 13) % size_t(n));
        return t;
    }();
    return tokens;
}

Outcome & outcome() {
    static Outcome o;
    return o;
}

std::vector<std::string> seed_checkpoints() {
    Tokenizer tok = Tokenizer::from_text(kChars);
    char tmpl[] = "/tmp/mg-fuzz-seeds-XXXXXX";
    const std::string dir = mkdtemp(tmpl);
    std::vector<std::string> seeds;
    auto add = [&](bool recurrent, bool with_state, int trained_steps) {
        ModelConfig c;
        c.vocab_size = tok.vocab_size();
        c.embed_dim = 8, c.num_layers = 3, c.num_heads = 2, c.max_seq_len = 8, c.hidden_dim = 16;
        c.prelude_layers = 1, c.coda_layers = 1;
        c.max_passes = recurrent ? 3 : 1, c.mean_passes = recurrent ? 2 : 1, c.backprop_passes = recurrent ? 2 : 1;
        GPT m;
        gpt_build(m, c);
        gpt_init_weights(m, 7);
        TrainConfig t;
        t.steps = 6, t.batch_size = 2, t.warmup_steps = 2, t.eval_interval = 2, t.eval_batches = 1;
        Trainer tr(m, t, fuzz_tokens());
        for (int s = 0; s < trained_steps; s++) tr.step();
        const std::string p = dir + "/seed" + std::to_string(seeds.size()) + ".bin";
        checkpoint_save(p, m, tok, with_state ? &tr.state() : nullptr);
        std::ifstream f(p, std::ios::binary);
        seeds.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        std::remove(p.c_str());
    };
    add(true, true, 2);
    add(false, false, 1);
    add(false, true, 0);
    ::rmdir(dir.c_str());
    return seeds;
}

// What a user does with a checkpoint: generate from it, and continue training it.
static void exercise(Checkpoint & ck) {
    outcome().accepted++;
    const bool has_state = ck.has_train_state;
    TrainState state = std::move(ck.train);
    GPT model;
    gpt_from_checkpoint(model, ck);
    const ModelConfig & c = model.config;
    const int T = std::min(c.max_seq_len, 8);
    std::vector<int> ids(static_cast<size_t>(T));
    for (int i = 0; i < T; i++) ids[size_t(i)] = i % c.vocab_size;
    Tape tape;
    tape.recording = false;
    for (int passes : {c.default_passes(), c.recurrent() ? c.max_passes : 1}) {
        PassPlan plan;
        plan.passes = passes;
        gpt_forward(model, tape, ids.data(), 1, T, plan);
        tape.reset();
    }
    TrainConfig tc;
    tc.steps = 3, tc.batch_size = 2, tc.seq_len = T, tc.eval_interval = 0, tc.eval_batches = 1, tc.warmup_steps = 1;
    if (has_state) tc = state.config;
    // A file may hold any batch the CLI allows (65536 x 4096 sequences): a bound on the work of
    // one input, as libFuzzer's -rss_limit_mb and -timeout are, not on what is valid.
    const int Ts = tc.seq_len > 0 ? tc.seq_len : c.max_seq_len;
    const double step_tokens = double(tc.batch_size) * Ts * tc.grad_accum;
    const double eval_tokens = double(tc.eval_batches) * tc.batch_size * Ts;
    if (Ts > c.max_seq_len || plan_training_memory(c, tc).total > (uint64_t(64) << 20) || step_tokens > 4096 ||
        eval_tokens > 16384) {
        outcome().skipped_large++;
        return;
    }
    std::unique_ptr<Trainer> trainer = has_state ? std::make_unique<Trainer>(model, std::move(state), fuzz_tokens())
                                                 : std::make_unique<Trainer>(model, tc, fuzz_tokens());
    if (!trainer->done()) {
        trainer->step();
        outcome().trained++;
    }
}

}  // namespace mgfuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    // fmemopen refuses an empty buffer: read empty input from a one-byte buffer of size 0 instead
    static char empty = 0;
    std::FILE * f = size ? fmemopen(const_cast<uint8_t *>(data), size, "rb") : fmemopen(&empty, 1, "rb");
    if (!f) return 0;
    try {
        mg::Checkpoint ck = mg::checkpoint_read(f, size, "fuzz input");
        mgfuzz::exercise(ck);
    } catch (const mg::error &) {
        // refused with a message: what the reader is for
    }
    std::fclose(f);
    return 0;
}

#ifdef MG_LIBFUZZER
#include "core/hash.h"

// libFuzzer's mutations, then (15 times in 16) the header's payload size and the trailing
// checksum recomputed, as the driver does: otherwise nearly every input would stop at the checksum.
extern "C" size_t LLVMFuzzerMutate(uint8_t * data, size_t size, size_t max_size);
extern "C" size_t LLVMFuzzerCustomMutator(uint8_t * data, size_t size, size_t max_size, unsigned int seed) {
    size = LLVMFuzzerMutate(data, size, max_size);
    if (seed % 16 == 0 || size < 32) return size;
    if (seed % 2) {
        const uint64_t payload = size - 32;
        std::memcpy(data + 16, &payload, 8);
    }
    mg::Hasher h;
    h.update(data, size - 8);
    const uint64_t sum = h.digest();
    std::memcpy(data + size - 8, &sum, 8);
    return size;
}
#endif
