#include "eval/evaluate.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <optional>

#include "core/error.h"
#include "core/host-memory.h"
#include "data/line-split.h"
#include "io/checkpoint.h"
#include "io/save-target.h"
#include "io/text-file.h"
#include "kernels/dispatch.h"
#include "model/decoder.h"
#include "model/limits.h"
#include "train/memory-plan.h"
#include "train/trainer.h"

namespace mg {

[[noreturn]] static void bad_request(const std::string & message, const std::string & hint) {
    MG_THROW_CODE(errc::kBadRequest, message, hint);
}

[[noreturn]] static void cancelled() {
    MG_THROW_CODE(errc::kCancelled, "the evaluation was cancelled", "");
}

static bool stop_asked(const std::atomic<bool> * cancel) { return cancel && cancel->load(std::memory_order_relaxed); }

EvalConfig resolve_eval_config(const EvalConfig & config, const ModelConfig & model) {
    EvalConfig c = config;
    if (c.passes < 0 || c.passes > limits::max_passes.max)
        bad_request("passes must be between 0 and " + std::to_string(limits::max_passes.max) + " (got " +
                        std::to_string(c.passes) + ")",
                    "0 uses the model's training mean");
    if (c.passes == 0) c.passes = model.default_passes();
    if (!model.recurrent() && c.passes > 1)
        bad_request("this model was trained without recursion (max_passes 1), so it runs exactly one pass",
                    "drop passes, or evaluate a model trained with max_passes above 1");
    if (c.adaptive && !(c.kl_threshold > 0.0f && std::isfinite(c.kl_threshold)))
        bad_request("kl_threshold must be a positive number", "1e-3 stops once the distribution barely moves");
    if (c.batch_size < limits::batch_size.min || c.batch_size > limits::batch_size.max)
        bad_request("batch_size must be between 1 and " + std::to_string(limits::batch_size.max) + " (got " +
                        std::to_string(c.batch_size) + ")",
                    "16 windows per forward suit a Pi 5");
    if (c.seq_len == 0) c.seq_len = model.max_seq_len;
    if (c.seq_len < 1 || c.seq_len > model.max_seq_len)
        bad_request("seq_len must be between 1 and the model's max_seq_len " + std::to_string(model.max_seq_len) +
                        " (got " + std::to_string(c.seq_len) + ")",
                    "0 uses the model's context");
    return c;
}

// -log softmax(z)[target], in double: log-sum-exp, so a tiny probability stays finite
static double token_loss(const float * z, int V, int target) {
    float maxv = z[0];
    for (int i = 1; i < V; i++) maxv = z[i] > maxv ? z[i] : maxv;
    double sum = 0;
    for (int i = 0; i < V; i++) sum += std::exp(double(z[i]) - maxv);
    return std::log(sum) + double(maxv) - double(z[target]);
}

// A window reads tokens[offset .. offset + len) and predicts tokens[offset + 1 .. offset + len].
struct EvalWindow {
    size_t offset;
    int len;
};

// Consecutive non-overlapping windows of up to T over the targets tokens[begin + 1 .. end).
static void add_windows(std::vector<EvalWindow> & windows, size_t begin, size_t end, int T) {
    for (size_t o = begin; o + 1 < end; o += size_t(T)) windows.push_back({o, int(std::min<size_t>(size_t(T), end - 1 - o))});
}

// Each line of tokens[begin, end) its own sequence, as the trainer's line_sequences rows: read
// from the line_end before it (a first line without one loses its first target), so every
// token of the line and its line_end is predicted from the line alone. A line longer than T
// goes on in further windows of T.
static std::vector<EvalWindow> line_windows(const std::vector<int> & tokens, size_t begin, size_t end, int line_end, int T) {
    std::vector<EvalWindow> windows;
    const LineIndex lines = index_lines(tokens, begin, end, line_end);
    for (size_t i = 0; i < lines.starts.size(); i++) {
        const size_t s = lines.starts[i], e = i + 1 < lines.starts.size() ? lines.starts[i + 1] : end;
        add_windows(windows, s > 0 && tokens[s - 1] == line_end ? s - 1 : s, e, T);
    }
    return windows;
}

// Fixed passes: batches of up to B windows through the training forward, without a tape, each
// batch as long as its longest window (the rest of a shorter row is padding, its targets
// ignored). window_loss (one per window) receives each window's summed loss.
static void eval_batched(GPT & m, const int * tokens, const std::vector<EvalWindow> & windows, int B, int passes,
                         double * window_loss, const std::atomic<bool> * cancel) {
    const size_t W = windows.size();
    const int V = m.config.vocab_size;
    const int Bmax = int(std::min<size_t>(size_t(B), W));
    int Tmax = 1;
    for (const EvalWindow & w : windows) Tmax = std::max(Tmax, w.len);
    Tape tape;
    tape.recording = false;
    tape.acts.reserve(plan_inference_acts(m.config, Bmax, Tmax, passes));
    PassPlan plan;
    plan.passes = passes;
    std::vector<int> inp(size_t(Bmax) * Tmax), tgt(inp.size());
    for (size_t w0 = 0; w0 < W; w0 += size_t(B)) {
        if (stop_asked(cancel)) cancelled();
        const int nb = int(std::min<size_t>(size_t(B), W - w0));
        int len = 1;
        for (int b = 0; b < nb; b++) len = std::max(len, windows[w0 + b].len);
        for (int b = 0; b < nb; b++) {
            const EvalWindow & w = windows[w0 + b];
            const int * src = tokens + w.offset;
            int * in = inp.data() + size_t(b) * len;
            int * tg = tgt.data() + size_t(b) * len;
            std::copy(src, src + w.len, in);
            std::copy(src + 1, src + w.len + 1, tg);
            std::fill(in + w.len, in + len, 0);
            std::fill(tg + w.len, tg + len, kIgnoreTarget);
        }
        tape.reset();
        Tensor * logits = gpt_forward(m, tape, inp.data(), nb, len, plan);
        const size_t N = size_t(nb) * len;
        float * losses = tape.acts.alloc_floats(N);
        float * probs = tape.acts.alloc_floats(N * size_t(V));
        crossentropy_forward(losses, probs, logits->data, tgt.data(), N, V);
        for (int b = 0; b < nb; b++) {  // serially, in order: the same sum at any thread count
            double s = 0;
            for (int t = 0; t < windows[w0 + b].len; t++) s += losses[size_t(b) * len + t];
            window_loss[w0 + b] = s;
        }
    }
}

// Adaptive: every window through a KV-cache decoder, as generation runs --adaptive. The windows
// are the parallel work: each thread decodes whole windows with a single-threaded decoder of its
// own (a decoder gives the same logits at any thread count, so the split changes nothing).
// window_loss, window_passes (one per window) receive each window's summed loss and passes.
static void eval_adaptive(const GPT & m, const int * tokens, const std::vector<EvalWindow> & windows, int passes,
                          float kl, double * window_loss, double * window_passes, const std::atomic<bool> * cancel) {
    const size_t W = windows.size();
    const int V = m.config.vocab_size;
    std::exception_ptr failure;
    std::atomic<bool> failed{false};
#pragma omp parallel
    {
        omp_set_num_threads(1);  // this task's decoder runs alone (the ICV is the task's own)
        std::optional<Decoder> dec;
        try {
            dec.emplace(m, passes, DecodeWeights::fp32);
        } catch (...) {
#pragma omp critical(mg_eval_failure)
            if (!failure) failure = std::current_exception();
            failed = true;
        }
        // every thread reaches the loop (a worksharing construct); after a failure or a cancel
        // the remaining windows are skipped
#pragma omp for schedule(dynamic)
        for (size_t w = 0; w < W; w++) {
            if (failed.load(std::memory_order_relaxed) || stop_asked(cancel)) continue;
            try {
                const int * src = tokens + windows[w].offset;
                dec->reset();
                double loss = 0, used_sum = 0;
                for (int t = 0; t < windows[w].len; t++) {
                    int used = 1;
                    const float * z = dec->feed(src[t], passes, kl, &used);
                    loss += token_loss(z, V, src[t + 1]);
                    used_sum += used;
                }
                window_loss[w] = loss;
                window_passes[w] = used_sum;
            } catch (...) {
#pragma omp critical(mg_eval_failure)
                if (!failure) failure = std::current_exception();
                failed = true;
            }
        }
    }
    if (failure) std::rethrow_exception(failure);
    if (stop_asked(cancel)) cancelled();
}

EvalResult evaluate_tokens(GPT & model, const std::vector<int> & tokens, size_t begin, size_t end,
                           const EvalConfig & config, const std::atomic<bool> * cancel, int line_end) {
    const EvalConfig c = resolve_eval_config(config, model.config);
    MG_CHECK(begin <= end && end <= tokens.size(), "evaluate_tokens: the span is outside the tokens");
    if (end - begin < 2)
        bad_request("the text to evaluate holds " + std::to_string(end - begin) +
                        " tokens; it needs at least 2 (a token and the one it predicts)",
                    "use a longer text or a larger val_fraction");
    for (size_t i = begin; i < end; i++)
        MG_CHECK(tokens[i] >= 0 && tokens[i] < model.config.vocab_size, "a token id is outside the model's vocabulary");
    const int T = c.seq_len;
    std::vector<EvalWindow> windows;
    if (line_end >= 0)
        windows = line_windows(tokens, begin, end, line_end, T);
    else
        add_windows(windows, begin, end, T);
    size_t M = 0;
    for (const EvalWindow & w : windows) M += size_t(w.len);
    const size_t W = windows.size();
    const bool adaptive = c.adaptive && model.config.recurrent() && c.passes > 1;
    std::vector<double> loss(W, 0.0), used(W, 0.0);

    auto t0 = std::chrono::steady_clock::now();
    if (adaptive)
        eval_adaptive(model, tokens.data(), windows, c.passes, c.kl_threshold, loss.data(), used.data(), cancel);
    else
        eval_batched(model, tokens.data(), windows, c.batch_size, c.passes, loss.data(), cancel);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    EvalResult r;
    double loss_sum = 0, passes_sum = 0;
    for (size_t w = 0; w < W; w++) loss_sum += loss[w], passes_sum += used[w];
    r.tokens = M;
    r.windows = W;
    r.seq_len = T;
    r.passes = c.passes;
    r.adaptive = c.adaptive;
    r.loss = loss_sum / double(M);
    r.bits_per_char = r.loss / std::log(2.0);
    r.mean_passes = adaptive ? passes_sum / double(M) : double(c.passes);
    r.seconds = seconds;
    r.tokens_per_sec = double(M) / std::max(seconds, 1e-9);
    r.ms_per_token = 1000.0 * seconds / double(M);
    return r;
}

// ----------------------------------------------------------------------------
// one evaluation job, from files

const char * eval_split_name(EvalSplit s) { return s == EvalSplit::all ? "all" : "val"; }

EvalSplit eval_split_from_name(const std::string & name) {
    if (name == "val") return EvalSplit::val;
    if (name == "all") return EvalSplit::all;
    bad_request("unknown split '" + name + "'", "use val (the held-out tail the trainer validates on) or all (the whole text)");
}

// The batch's activations against the machine's memory, before they are allocated.
static void check_eval_memory(const ModelConfig & mc, const EvalConfig & c) {
    if (c.adaptive && mc.recurrent() && c.passes > 1) return;  // decoders: a KV cache per thread
    const uint64_t need = plan_inference_acts(mc, c.batch_size, c.seq_len, c.passes);
    const HostMemory host = probe_host_memory();
    if (host.known && need > host.available)
        MG_THROW_CODE(errc::kOutOfMemory,
                      "evaluating " + std::to_string(c.batch_size) + " windows of " + std::to_string(c.seq_len) +
                          " at once needs about " + format_bytes(need) + " but only " + format_bytes(host.available) +
                          " of memory is available (" + host.source + ")",
                      "lower the batch size");
}

EvalReport run_evaluation(const EvalRequest & r, const std::atomic<bool> * cancel) {
    if (r.checkpoint_path.empty()) bad_request("evaluating needs a checkpoint", "give the checkpoint to evaluate");
    if (r.data_path.empty())
        bad_request("evaluating needs a text file",
                    "a checkpoint does not keep its training text: give that file again to evaluate its validation split");
    if (r.val_fraction && !(*r.val_fraction > 0.0f && *r.val_fraction < 0.5f))
        bad_request("val_fraction must be in (0, 0.5)", "0.1 holds out the last 10% of the text");
    Checkpoint ck = checkpoint_load(r.checkpoint_path);
    std::vector<int> tokens = ck.tokenizer.encode(read_text_file(r.data_path), true, "the evaluation text");

    EvalReport rep;
    // the split the run's trainer cut (its SPLT, or its training state; defaults for a file with
    // neither): the tail or whole lines in the run's seeded order, its sequence length and fraction
    const SplitSpec & sp = ck.split;
    const int line_end = r.split == EvalSplit::val && sp.lines ? ck.tokenizer.id_of('\n') : -1;
    if (line_end >= 0) tokens = shuffle_lines(tokens, line_end, sp.seed);
    rep.split_lines = line_end >= 0;
    // a model trained on lines as sequences is evaluated on them, on either split
    const int sequence_end = sp.line_sequences ? ck.tokenizer.id_of('\n') : -1;
    rep.line_sequences = sequence_end >= 0;
    rep.data_tokens = tokens.size();
    rep.split_seq_len = sp.seq_len > 0 ? sp.seq_len : ck.config.max_seq_len;
    rep.val_fraction = r.val_fraction.value_or(sp.val_fraction);
    if (ck.has_train_state)
        rep.data_is_training_data = tokens.size() == ck.train.data_tokens && data_fingerprint(tokens) == ck.train.data_hash;
    rep.split_begin = r.split == EvalSplit::val ? val_split_begin(tokens, rep.split_seq_len, rep.val_fraction, line_end) : 0;
    rep.split_end = tokens.size();

    GPT model;
    gpt_from_checkpoint(model, ck);
    EvalConfig cfg = r.config;
    if (cfg.seq_len == 0) cfg.seq_len = std::min(rep.split_seq_len, model.config.max_seq_len);
    check_eval_memory(model.config, resolve_eval_config(cfg, model.config));
    rep.result = evaluate_tokens(model, tokens, rep.split_begin, rep.split_end, cfg, cancel, sequence_end);
    rep.model = model.config;
    return rep;
}

}  // namespace mg
