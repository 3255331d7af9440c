// mg-bench: the engine side of `npm run bench`. tools/bench.py runs it and the PyTorch peer
// (tools/torch_bench.py) interleaved, one measurement per process so peak RSS is per measurement.
// Every mode prints one JSON object on stdout.
//   mg-bench peak                      FMA peak GFLOP/s of this machine at --threads
//   mg-bench gemm                      matmul forward/backward GFLOP/s at the models' layer shapes
//   mg-bench init  --preset P --max_passes r --out C --tokens_out F [--data text] [--train_steps n]
//                                      a checkpoint of initial weights plus the tokenized data, so
//                                      both peers train the same model on the same ids
//   mg-bench train --checkpoint C --tokens F --batch B --seq T --warmup w --steps s [--profile]
//   mg-bench passes --checkpoint C --tokens F --batch B --seq T --passes r   forward+backward only,
//                                      backprop through all r passes (the recursion cost check)
//   mg-bench generate --checkpoint C --passes r --reps n [--weights fp32|fp16]   KV cache, batch 1, greedy
//   mg-bench logits --checkpoint C --ids 1,2,3 --passes r               for tools/parity.py
#include <omp.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "core/error.h"
#include "core/omp-wait.h"
#include "data/synthetic-corpus.h"
#include "io/checkpoint.h"
#include "io/text-file.h"
#include "kernels/dispatch.h"
#include "model/gpt.h"
#include "train/trainer.h"

namespace mg {

double now_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double peak_rss_mib() {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Training FLOPs per token, the 6N + 12LCT generalised to recursion: a taped pass costs
// forward + backward (6 per weight, 12 LCT for attention), a detached pass forward only (2, 4).
double flops_per_token(const ModelConfig & c, double passes, double taped_passes, int T) {
    const double C = c.embed_dim, H = c.hidden_dim;
    const double layer = 4 * C * C + 2 * C * H + 2 * C;  // qkv, attproj, fc, fcproj, two norm gains
    const double core = c.core_layers() * layer + (c.recurrent() ? 2 * C * C + C : 0);  // + adapter, state norm
    const double once = double(gpt_count_params(c)) - (c.recurrent() ? core : c.core_layers() * layer);
    const double detached = passes - taped_passes;
    const double attn = C * T * c.core_layers();
    const double attn_once = C * T * (c.num_layers - c.core_layers());
    return 6 * (once + taped_passes * core) + 2 * detached * core + 12 * (attn_once + taped_passes * attn) +
           4 * detached * attn;
}

void load_checkpoint(const std::string & path, GPT & model) {
    Checkpoint ck = checkpoint_load(path);
    gpt_from_checkpoint(model, ck);
}

std::vector<int> read_ids(const std::string & path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) MG_THROW("cannot open token file " + path);
    f.seekg(0, std::ios::end);
    std::vector<int> ids(size_t(f.tellg()) / sizeof(int));
    f.seekg(0);
    f.read(reinterpret_cast<char *>(ids.data()), std::streamsize(ids.size() * sizeof(int)));
    return ids;
}

// ----------------------------------------------------------------------------
// peak and gemm

typedef float v8f __attribute__((vector_size(32)));  // GCC vectors: 8 lanes on any target

// Independent multiply-add chains, enough to cover the FMA latency on both pipes; the compiler
// contracts a*x+y into one fused instruction on every target we build for.
static double fma_peak(double seconds) {
    double total_flops = 0, t0 = now_seconds(), elapsed = 0;
    float sink = 0;
    const long iters = 1 << 20;
    while (elapsed < seconds) {
#pragma omp parallel reduction(+ : total_flops, sink)
        {
            v8f acc[12];
            for (int j = 0; j < 12; j++) acc[j] = v8f{} + float(j + omp_get_thread_num());
            volatile float xs = 0.999999f, ys = 1e-7f;  // unknown to the compiler: no folding
            const v8f x = v8f{} + xs, y = v8f{} + ys;
            for (long i = 0; i < iters; i++) {
#pragma GCC unroll 12
                for (int j = 0; j < 12; j++) acc[j] = acc[j] * x + y;
            }
            for (int j = 0; j < 12; j++) sink += acc[j][0];
            total_flops += double(iters) * 12 * 8 * 2;
        }
        elapsed = now_seconds() - t0;
    }
    if (sink == 12345.0f) std::printf(" ");
    return total_flops / elapsed / 1e9;
}

static void cmd_peak(const Args & a) {
    double gflops = fma_peak(a.num("seconds", 1.0));
    std::printf("{\"mode\":\"peak\",\"threads\":%d,\"gflops\":%.2f}\n", omp_get_max_threads(), gflops);
}

static void cmd_gemm(const Args & a) {
    struct Shape { const char * layer; size_t N; int IC, OC; };
    const Shape shapes[] = {
        {"8gb qkv", 1024, 128, 384},      {"8gb fc", 1024, 128, 512},      {"8gb fcproj", 1024, 512, 128},
        {"16gb qkv", 2048, 256, 768},     {"16gb fc", 2048, 256, 1024},    {"16gb fcproj", 2048, 1024, 256},
        {"square 1024", 1024, 1024, 1024},
    };
    std::printf("{\"mode\":\"gemm\",\"threads\":%d,\"kernels\":\"%s\",\"shapes\":[", omp_get_max_threads(), MG_KERNELS_ISA);
    bool first = true;
    for (const Shape & s : shapes) {
        std::vector<float> x(s.N * s.IC, 0.5f), w(size_t(s.OC) * s.IC, 0.25f), y(s.N * s.OC), dx(x.size()), dw(w.size());
        const double flops = 2.0 * double(s.N) * s.IC * s.OC;
        auto rate = [&](auto fn) {
            fn();  // warm up: packing buffers, caches
            int reps = 0;
            double t0 = now_seconds(), t = 0;
            while (t < a.num("seconds", 0.3)) fn(), reps++, t = now_seconds() - t0;
            return flops * reps / t / 1e9;
        };
        double fwd = rate([&] { matmul_forward(y.data(), x.data(), w.data(), s.N, s.IC, s.OC); });
        double dinp = rate([&] { matmul_backward(dx.data(), nullptr, y.data(), x.data(), w.data(), s.N, s.IC, s.OC); });
        double dwt = rate([&] { matmul_backward(nullptr, dw.data(), y.data(), x.data(), w.data(), s.N, s.IC, s.OC); });
        std::printf("%s{\"layer\":\"%s\",\"N\":%zu,\"IC\":%d,\"OC\":%d,\"forward\":%.2f,\"dinp\":%.2f,\"dweight\":%.2f}",
                    first ? "" : ",", s.layer, s.N, s.IC, s.OC, fwd, dinp, dwt);
        first = false;
    }
    std::printf("]}\n");
}

// ----------------------------------------------------------------------------
// init and logits

static void cmd_init(const Args & a) {
    std::string text = a.has("data") ? read_text_file(a.str("data")) : synthetic_corpus(size_t(a.num("bytes", 1 << 20)), 7);
    Tokenizer tok = Tokenizer::from_text(text);
    std::vector<int> ids = tok.encode(text, true, "data");
    ModelConfig c = model_preset(a.str("preset", "8gb"));
    c.vocab_size = tok.vocab_size();
    const int r = int(a.num("max_passes", 1));
    c.max_passes = r;
    c.mean_passes = r > 1 ? float(a.num("mean_passes", 2)) : 1.0f;
    c.backprop_passes = std::min(r, int(a.num("backprop_passes", 2)));
    GPT m;
    gpt_build(m, c);
    gpt_init_weights(m, uint64_t(a.num("seed", 1337)));
    if (a.num("train_steps", 0) > 0) {  // tools/parity.py wants weights that are not at init
        TrainConfig tc;
        tc.steps = int(a.num("train_steps", 0));
        tc.batch_size = 4, tc.warmup_steps = 2, tc.eval_interval = 0, tc.eval_batches = 1, tc.lr = 1e-2f;
        Trainer tr(m, tc, ids);
        while (!tr.done()) tr.step();
    }
    checkpoint_save(a.str("out"), m, tok, nullptr);
    std::ofstream f(a.str("tokens_out"), std::ios::binary);
    f.write(reinterpret_cast<const char *>(ids.data()), std::streamsize(ids.size() * sizeof(int)));
    if (!f) MG_THROW("cannot write " + a.str("tokens_out"));
    std::printf("{\"mode\":\"init\",\"params\":%zu,\"vocab\":%d,\"tokens\":%zu}\n", m.num_params, c.vocab_size, ids.size());
}

static void cmd_logits(const Args & a) {
    GPT m;
    load_checkpoint(a.str("checkpoint"), m);
    std::vector<int> ids;
    for (const std::string & s : a.list("ids")) ids.push_back(std::stoi(s));
    Tape tape;
    tape.recording = false;
    PassPlan plan;
    plan.passes = int(a.num("passes", 1));
    Tensor * z = gpt_forward(m, tape, ids.data(), 1, int(ids.size()), plan);
    std::printf("{\"mode\":\"logits\",\"rows\":%zu,\"cols\":%d,\"logits\":[", z->rows, z->cols);
    for (size_t i = 0; i < z->size(); i++) std::printf("%s%.9g", i ? "," : "", z->data[i]);
    std::printf("]}\n");
}

}  // namespace mg

int main(int argc, char ** argv) {
    mg::prefer_short_spin_waits(argv);  // measure what the app and the CLI run
    using namespace mg;
    if (argc < 2) {
        std::fprintf(stderr, "usage: mg-bench peak|gemm|init|train|passes|generate|logits [--flag value ...]\n");
        return 2;
    }
    try {
        Args a = parse_bench_args(argc, argv);
        if (a.has("threads")) omp_set_num_threads(int(a.num("threads", 0)));
        const std::string mode = argv[1];
        if (mode == "peak") cmd_peak(a);
        else if (mode == "gemm") cmd_gemm(a);
        else if (mode == "init") cmd_init(a);
        else if (mode == "train") cmd_train(a);
        else if (mode == "passes") cmd_passes(a);
        else if (mode == "generate") cmd_generate(a);
        else if (mode == "logits") cmd_logits(a);
        else MG_THROW("unknown mode '" + mode + "'");
    } catch (const std::exception & e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
