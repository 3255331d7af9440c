// mg-bench train, passes and generate: the measurements the targets are about.
#include <omp.h>

#include <algorithm>
#include <cstdio>

#include "autograd/profile.h"
#include "bench/bench.h"
#include "core/error.h"
#include "model/decoder.h"
#include "train/trainer.h"

namespace mg {

std::string Args::str(const std::string & k, const std::string & def) const {
    auto it = kv.find(k);
    if (it != kv.end()) return it->second;
    if (!def.empty()) return def;
    MG_THROW("missing --" + k);
}

double Args::num(const std::string & k, double def) const { return has(k) ? std::stod(kv.at(k)) : def; }

std::vector<std::string> Args::list(const std::string & k) const {
    std::vector<std::string> out;
    std::string s = str(k), cur;
    for (char ch : s + ",") {
        if (ch != ',') {
            cur += ch;
        } else if (!cur.empty()) {
            out.push_back(cur);
            cur.clear();
        }
    }
    return out;
}

Args parse_bench_args(int argc, char ** argv) {
    Args a;
    for (int i = 2; i < argc; i++) {
        std::string k = argv[i];
        if (k.rfind("--", 0) != 0) MG_THROW("unexpected argument '" + k + "'");
        k = k.substr(2);
        if (k == "profile") a.kv[k] = "1";
        else if (i + 1 < argc) a.kv[k] = argv[++i];
        else MG_THROW("--" + k + " needs a value");
    }
    return a;
}

static void print_profile(const OpProfile & p, double total) {
    std::printf(",\"profile\":{");
    bool first = true;
    for (int k = 0; k < kProfileSlots; k++) {
        for (int bwd = 0; bwd < 2; bwd++) {
            double s = bwd ? p.backward[k] : p.forward[k];
            if (s <= 0) continue;
            std::printf("%s\"%s %s\":%.4f", first ? "" : ",", op_kind_name(k), k == kProfileAdamw ? "update" : (bwd ? "backward" : "forward"), s / total);
            first = false;
        }
    }
    std::printf("}");
}

// The real training loop (Trainer::step): batches, forward, backward, clipping, AdamW. Passes
// are the Trainer's own samples; the list is printed so the PyTorch peer replays the same ones.
void cmd_train(const Args & a) {
    GPT m;
    load_checkpoint(a.str("checkpoint"), m);
    std::vector<int> tokens = read_ids(a.str("tokens"));
    const int warmup = int(a.num("warmup", 3)), steps = int(a.num("steps", 20));
    TrainConfig tc;
    tc.batch_size = int(a.num("batch", 16));
    tc.seq_len = int(a.num("seq", m.config.max_seq_len));
    tc.steps = warmup + steps + 1;  // the last step would evaluate; it is never run
    tc.eval_interval = 0;
    tc.warmup_steps = 1;
    Trainer tr(m, tc, tokens);
    std::vector<int> passes;
    for (int i = 0; i < warmup; i++) tr.step();
    OpProfile & prof = op_profile();
    prof.enabled = a.has("profile");
    prof.clear();
    double t0 = now_seconds(), loss = 0;
    for (int i = 0; i < steps; i++) {
        StepStats s = tr.step();
        passes.push_back(s.passes);
        loss = s.train_loss;
    }
    const double dt = now_seconds() - t0;
    const double tokens_done = double(steps) * tc.batch_size * tr.seq_len();
    double mean_passes = 0, mean_taped = 0;
    for (int p : passes) mean_passes += p, mean_taped += std::min(p, m.config.backprop_passes);
    mean_passes /= steps, mean_taped /= steps;
    std::printf("{\"mode\":\"train\",\"threads\":%d,\"tok_s\":%.1f,\"seconds\":%.3f,\"loss\":%.4f,"
                "\"flops_per_token\":%.0f,\"peak_rss_mib\":%.1f,\"mean_passes\":%.3f,\"passes\":[",
                omp_get_max_threads(), tokens_done / dt, dt, loss,
                flops_per_token(m.config, mean_passes, mean_taped, tr.seq_len()), peak_rss_mib(), mean_passes);
    for (size_t i = 0; i < passes.size(); i++) std::printf("%s%d", i ? "," : "", passes[i]);
    std::printf("]");
    if (prof.enabled) print_profile(prof, dt);
    std::printf("}\n");
}

// Forward + backward at exactly r passes, all of them taped: what one more pass costs.
void cmd_passes(const Args & a) {
    GPT m;
    load_checkpoint(a.str("checkpoint"), m);
    gpt_enable_grads(m);
    std::vector<int> tokens = read_ids(a.str("tokens"));
    const int B = int(a.num("batch", 16)), T = int(a.num("seq", m.config.max_seq_len));
    const int steps = int(a.num("steps", 10));
    MG_CHECK(tokens.size() > size_t(B) * T + 1, "not enough tokens");
    PassPlan plan;
    plan.passes = int(a.num("passes", 1));
    plan.grad_passes = plan.passes;
    Tape tape;
    auto once = [&] {
        tape.reset();
        gpt_forward_loss(m, tape, tokens.data(), tokens.data() + 1, B, T, plan, 1.0f);
        tape.backward();
    };
    once();
    double t0 = now_seconds();
    for (int i = 0; i < steps; i++) once();
    const double dt = now_seconds() - t0;
    std::printf("{\"mode\":\"passes\",\"passes\":%d,\"tok_s\":%.1f,\"peak_rss_mib\":%.1f}\n", plan.passes,
                double(steps) * B * T / dt, peak_rss_mib());
}

// Batch-1 generation with the KV cache: feed max_seq_len tokens (greedy), reset, repeat.
// --weights fp32|fp16 (default fp32: the PyTorch peer's precision).
void cmd_generate(const Args & a) {
    GPT m;
    load_checkpoint(a.str("checkpoint"), m);
    const int passes = int(a.num("passes", 1)), reps = int(a.num("reps", 10));
    const int T = m.config.max_seq_len, V = m.config.vocab_size;
    const DecodeWeights weights = decode_weights_from_name(a.str("weights", "fp32"));
    Decoder dec(m, passes, weights);
    auto run = [&] {
        dec.reset();
        int tok = 3 % V;
        for (int t = 0; t < T; t++) {
            const float * z = dec.feed(tok, passes, 0.0f);
            tok = int(std::max_element(z, z + V) - z);
        }
        return tok;
    };
    int sink = run();
    double t0 = now_seconds();
    for (int r = 0; r < reps; r++) sink += run();
    const double dt = now_seconds() - t0;
    std::printf("{\"mode\":\"generate\",\"threads\":%d,\"passes\":%d,\"weights\":\"%s\",\"tok_s\":%.1f,"
                "\"peak_rss_mib\":%.1f,\"check\":%d}\n",
                omp_get_max_threads(), passes, decode_weights_name(weights), double(reps) * T / dt, peak_rss_mib(), sink);
}

}  // namespace mg
