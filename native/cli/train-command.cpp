// microgpt --train: translate the flags into a TrainRequest, run the engine's TrainingSession
// (train/session.h), and print its events: progress lines, saves, failed saves.
#include <omp.h>

#include <csignal>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "io/save-target.h"
#include "io/text-file.h"
#include "kernels/dispatch.h"
#include "train/session.h"

namespace mg {

std::atomic<bool> g_interrupted{false};
static std::atomic<TrainControl *> g_train_control{nullptr};

// Generation: the first Ctrl-C ends the reply, the second stops the process. Training: the first
// stops after the current step and saves; the second gives up a final save that keeps failing;
// the third stops the process.
static void on_sigint(int) {
    if (TrainControl * c = g_train_control.load()) {
        c->stop_from_signal();
        if (c->stops() < 3) return;
    } else if (!g_interrupted.load()) {
        g_interrupted.store(true);
        return;
    }
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
}

void install_interrupt_handler() { std::signal(SIGINT, on_sigint); }

std::string format_duration(double s) {
    char buf[32];
    long t = long(s + 0.5);
    if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
    else if (t >= 60) std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
    else std::snprintf(buf, sizeof buf, "%lds", t);
    return buf;
}

std::string with_commas(double v) {
    std::string s = std::to_string(long(v + 0.5));
    for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
    return s;
}

std::string format_float(float v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.7g", double(v));
    return buf;
}

static const char * const kArchitectureFlags[] = {"preset", "embed_dim", "num_layers", "num_heads",
                                                   "max_seq_len", "hidden_dim", "prelude_layers", "coda_layers"};

static std::string preset_of(const CliOptions & o) { return o.preset.empty() ? "8gb" : o.preset; }

// The model config the flags ask for: a preset (8gb by default) with any explicit overrides.
static ModelConfig model_config_from_flags(const CliOptions & o) {
    ModelConfig c = model_preset(preset_of(o));
    const ModelConfig & f = o.model;
#define MG_TAKE(field) \
    if (o.given.count(#field)) c.field = f.field;
    MG_TAKE(embed_dim) MG_TAKE(num_layers) MG_TAKE(num_heads) MG_TAKE(max_seq_len) MG_TAKE(hidden_dim)
    MG_TAKE(prelude_layers) MG_TAKE(coda_layers) MG_TAKE(mean_passes) MG_TAKE(max_passes) MG_TAKE(backprop_passes)
#undef MG_TAKE
    // a plain GPT needs no knobs: asking for max_passes 1 alone should just work
    if (o.given.count("max_passes") && c.max_passes == 1) {
        if (!o.given.count("mean_passes")) c.mean_passes = 1.0f;
        if (!o.given.count("backprop_passes")) c.backprop_passes = 1;
    }
    if (c.backprop_passes > c.max_passes && !o.given.count("backprop_passes")) c.backprop_passes = c.max_passes;
    if (c.mean_passes > float(c.max_passes) && !o.given.count("mean_passes")) c.mean_passes = float(c.max_passes);
    return c;
}

void load_model(const CliOptions & o, LoadedModel & lm) {
    if (!o.load_checkpoint.empty()) {
        Checkpoint ck = checkpoint_load(o.load_checkpoint);
        lm.tokenizer = ck.tokenizer;
        lm.line_sequences = ck.split.line_sequences;
        gpt_from_checkpoint(lm.model, ck);
        return;
    }
    lm.tokenizer = Tokenizer::ascii();
    ModelConfig c = model_config_from_flags(o);
    c.vocab_size = lm.tokenizer.vocab_size();
    gpt_build(lm.model, c);
    gpt_init_weights(lm.model, o.train.seed);
}

static void print_step(const StepStats & s, int width) {
    std::printf("step %*d/%d | loss %.4f", width, s.step, s.steps, s.train_loss);
    if (s.val_loss >= 0) std::printf(" | val %.4f", s.val_loss);
    std::printf(" | lr %.2e | passes %d | %s tok/s | ETA %s\n", s.lr, s.passes, with_commas(s.tokens_per_sec).c_str(),
                format_duration(s.eta_seconds).c_str());
    std::fflush(stdout);
}

static void print_start(const SessionStart & s, const std::string & source, CliMode mode) {
    const TrainConfig & tc = s.train;
    std::printf("model: %s\n", describe_config(s.config).c_str());
    std::printf("parameters: %s (%.2f MB of weights)\n", with_commas(double(s.params)).c_str(), s.params * 4.0 / 1e6);
    std::printf("data: %s, %s characters, vocabulary %d; %s train / %s val\n", source.c_str(),
                with_commas(double(s.data_tokens)).c_str(), s.vocab, with_commas(double(s.train_tokens)).c_str(),
                with_commas(double(s.val_tokens)).c_str());
    if (s.val_lines)
        std::printf("val split: %s whole lines (of %s) chosen with seed %llu, the lines shuffled%s\n",
                    with_commas(double(s.val_lines)).c_str(), with_commas(double(s.val_lines + s.train_lines)).c_str(),
                    (unsigned long long)s.train.seed, tc.line_sequences ? "; each line its own sequence" : "");
    std::printf("training: steps %d%s, batch %d x %d%s, lr %.1e%s, %d threads, kernels %s\n", tc.steps,
                s.step ? (" (resuming after step " + std::to_string(s.step) + ")").c_str() : "", tc.batch_size,
                s.seq_len, tc.grad_accum > 1 ? (", accumulate " + std::to_string(tc.grad_accum)).c_str() : "", tc.lr,
                tc.dropout > 0 ? (", dropout " + format_float(tc.dropout)).c_str() : "", omp_get_max_threads(), MG_KERNELS_ISA);
    std::printf("memory: about %s%s\n", describe_memory_plan(s.memory).c_str(),
                s.memory_available ? (", " + format_bytes(s.memory_available) + " available").c_str() : "");
    if (s.save_path.empty() && mode == CliMode::Train)
        std::printf("note: no --save_checkpoint given, so the trained model will not be saved\n");
    std::fflush(stdout);
}

static const char * cli_reason(const std::string & reason) {
    return reason == "finished" ? "done" : reason == "stopped" ? "interrupted" : reason == "best" ? "best val loss so far" : reason.c_str();
}

int run_training(const CliOptions & o, const std::string & text, const std::string & source, LoadedModel * out) {
    TrainRequest r;
    r.text = text;
    r.init_from = o.load_checkpoint;
    r.resume = o.resume;
    r.save_path = o.save_checkpoint;
    r.train = o.train;
    r.save_interval = o.save_interval;
    r.sample_interval = o.sample_every;
    if (o.given.count("steps")) r.steps = o.train.steps;
    if (!o.load_checkpoint.empty()) {
        for (const char * f : kArchitectureFlags)
            if (o.given.count(f))
                throw UsageError(std::string("--") + f + " cannot change the architecture of a loaded checkpoint" +
                                 " (train a new model without --load_checkpoint instead)");
        // the recursion's training schedule may change when continuing; its structure may not
        if (o.given.count("mean_passes")) r.mean_passes = o.model.mean_passes;
        if (o.given.count("backprop_passes")) r.backprop_passes = o.model.backprop_passes;
        if (o.given.count("max_passes")) r.max_passes = o.model.max_passes;
        if (o.resume && r.save_path.empty()) r.save_path = o.load_checkpoint;
    } else {
        if (o.resume) throw UsageError("--resume needs --load_checkpoint (or --checkpoint)");
        r.model = model_config_from_flags(o);
        if (!o.given.count("lr")) r.train.lr = preset_learning_rate(preset_of(o));
    }

    const std::string save_path = r.save_path;
    TrainingSession session(std::move(r));
    const int width = int(std::to_string(session.trainer().config().steps).size());
    bool noted_stop = false;
    auto note_stop = [&](int step) {
        if (noted_stop) return;
        noted_stop = true;
        std::printf("interrupted at step %d\n", step);
    };
    TrainingEvents ev;
    ev.started = [&](const SessionStart & s) { print_start(s, source, o.mode); };
    ev.step = [&](const StepStats & s) {
        if (s.step % o.log_interval == 0 || s.val_loss >= 0 || s.step == 1 || s.step == s.steps) print_step(s, width);
    };
    ev.sample = [&](int step, const std::string & text) {  // each line marked, apart from the progress lines
        std::string quoted = "  | ";
        for (char ch : text) quoted += ch == '\n' ? std::string("\n  | ") : std::string(1, ch);
        std::printf("sample after step %d:\n%s\n", step, quoted.c_str());
        std::fflush(stdout);
    };
    ev.saved = [&](const std::string & path, int step, const std::string & reason) {
        if (reason == "stopped") note_stop(step);
        std::printf("saved %s after step %d (%s)\n", path.c_str(), step, cli_reason(reason));
        std::fflush(stdout);
    };
    ev.save_failed = [&](const SaveFailure & f) {
        if (f.reason == "stopped") note_stop(f.step);
        std::fflush(stdout);
        std::fprintf(stderr, "warning: could not save %s after step %d (%s): %s\n",
                     (f.reason == "best" ? best_checkpoint_path(save_path) : save_path).c_str(), f.step,
                     cli_reason(f.reason), f.message.c_str());
        if (!f.hint.empty()) std::fprintf(stderr, "HINT: %s\n", f.hint.c_str());
        if (f.reason == "autosave")
            std::fprintf(stderr, "training goes on with the previous checkpoint intact; the next save is %s\n",
                         f.next_autosave_step ? ("at step " + std::to_string(f.next_autosave_step)).c_str() : "at the end");
        else if (f.will_retry)
            std::fprintf(stderr, "trying again in %.0f s (press Ctrl-C to give up and lose the steps since the last save)\n",
                         f.retry_in_seconds);
        std::fflush(stderr);
    };

    TrainControl control;
    g_train_control.store(&control);
    install_interrupt_handler();
    SessionResult res;
    try {
        res = session.run(control, ev);
    } catch (...) {
        g_train_control.store(nullptr);
        throw;
    }
    g_train_control.store(nullptr);
    if (res.stopped) {
        note_stop(res.step);
        if (!save_path.empty())
            std::printf("resume with: microgpt --train --checkpoint %s --data <same data> --resume\n", save_path.c_str());
        return 130;
    }
    if (res.val_loss >= 0) std::printf("final val loss %.4f\n", res.val_loss);
    if (res.best.step >= 0)
        std::printf("best val loss %.4f after step %d, kept in %s\n", res.best.val_loss, res.best.step,
                    best_checkpoint_path(save_path).c_str());
    if (out) {
        out->model = std::move(session.model());
        out->tokenizer = session.tokenizer();
        out->line_sequences = session.trainer().config().line_sequences;
    }
    return 0;
}

int cmd_train(const CliOptions & o) {
    if (o.data.empty()) throw UsageError("--train needs --data <path to a UTF-8 text file>");
    std::string text = read_text_file(o.data);
    return run_training(o, text, o.data);
}

}  // namespace mg
