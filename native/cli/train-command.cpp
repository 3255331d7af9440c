// microgpt --train: build or load a model, train it with progress lines, autosave, and save on
// Ctrl-C so nothing is lost.
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
#include "train/trainer.h"

namespace mg {

std::atomic<bool> g_interrupted{false};

static void on_sigint(int) {
    if (g_interrupted.load()) {  // a second Ctrl-C: stop now
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
    }
    g_interrupted.store(true);
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

static std::string with_commas(double v) {
    std::string s = std::to_string(long(v + 0.5));
    for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
    return s;
}

static const char * const kArchitectureFlags[] = {"preset", "embed_dim", "num_layers", "num_heads",
                                                   "max_seq_len", "hidden_dim", "prelude_layers", "coda_layers"};

// The model config the flags ask for: a preset (8gb by default) with any explicit overrides.
static ModelConfig model_config_from_flags(const CliOptions & o) {
    ModelConfig c = model_preset(o.preset.empty() ? "8gb" : o.preset);
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

int run_training(const CliOptions & o, const std::string & text, const std::string & source, LoadedModel * out) {
    std::unique_ptr<LoadedModel> owned;
    LoadedModel & lm = out ? *out : *(owned = std::make_unique<LoadedModel>());
    std::vector<int> tokens;  // declared before the trainer, which refers to it
    std::unique_ptr<Trainer> trainer;
    std::string save_path = o.save_checkpoint;

    if (!o.load_checkpoint.empty()) {
        for (const char * f : kArchitectureFlags)
            if (o.given.count(f))
                throw UsageError(std::string("--") + f + " cannot change the architecture of a loaded checkpoint" +
                                 " (train a new model without --load_checkpoint instead)");
        Checkpoint ck = checkpoint_load(o.load_checkpoint);
        lm.tokenizer = ck.tokenizer;
        ModelConfig c = ck.config;
        // the recursion's training schedule may change when continuing; its structure may not
        if (o.given.count("mean_passes")) c.mean_passes = o.model.mean_passes;
        if (o.given.count("backprop_passes")) c.backprop_passes = o.model.backprop_passes;
        if (o.given.count("max_passes")) {
            if ((o.model.max_passes > 1) != c.recurrent())
                throw UsageError("--max_passes cannot switch recursion on or off for a loaded checkpoint");
            c.max_passes = o.model.max_passes;
        }
        ck.config = c;
        bool has_state = ck.has_train_state;
        TrainState state = std::move(ck.train);
        gpt_from_checkpoint(lm.model, ck);
        tokens = lm.tokenizer.encode(text, true, "the training data");
        if (o.resume) {
            if (!has_state)
                throw UsageError("checkpoint " + o.load_checkpoint +
                                 " holds no training state to resume (it was saved weights-only)");
            if (o.given.count("steps")) {
                if (o.train.steps <= state.step)
                    throw UsageError("--steps " + std::to_string(o.train.steps) + " must be above the " +
                                     std::to_string(state.step) + " steps already done");
                state.config.steps = o.train.steps;
            } else if (state.step >= state.config.steps) {
                throw UsageError("the run in " + o.load_checkpoint + " already finished its " +
                                 std::to_string(state.step) + " steps; add --steps N to extend it");
            }
            if (save_path.empty()) save_path = o.load_checkpoint;
            trainer = std::make_unique<Trainer>(lm.model, std::move(state), tokens);
        } else {
            trainer = std::make_unique<Trainer>(lm.model, o.train, tokens);
        }
    } else {
        if (o.resume) throw UsageError("--resume needs --load_checkpoint (or --checkpoint)");
        lm.tokenizer = Tokenizer::from_text(text);
        ModelConfig c = model_config_from_flags(o);
        c.vocab_size = lm.tokenizer.vocab_size();
        gpt_build(lm.model, c);
        gpt_init_weights(lm.model, o.train.seed);
        tokens = lm.tokenizer.encode(text, true, "the training data");
        trainer = std::make_unique<Trainer>(lm.model, o.train, tokens);
    }

    if (!save_path.empty()) checkpoint_check_target(save_path);
    const TrainConfig & tc = trainer->config();
    std::printf("model: %s\n", describe_config(lm.model.config).c_str());
    std::printf("parameters: %s (%.2f MB of weights)\n", with_commas(double(lm.model.num_params)).c_str(),
                lm.model.num_params * 4.0 / 1e6);
    std::printf("data: %s, %s characters, vocabulary %d; %s train / %s val\n", source.c_str(),
                with_commas(double(tokens.size())).c_str(), lm.tokenizer.vocab_size(),
                with_commas(double(trainer->train_tokens())).c_str(), with_commas(double(trainer->val_tokens())).c_str());
    std::printf("training: steps %d%s, batch %d x %d%s, lr %.1e, %d threads, kernels %s\n", tc.steps,
                trainer->state().step ? (" (resuming after step " + std::to_string(trainer->state().step) + ")").c_str() : "",
                tc.batch_size, trainer->seq_len(),
                tc.grad_accum > 1 ? (", accumulate " + std::to_string(tc.grad_accum)).c_str() : "", tc.lr,
                omp_get_max_threads(), MG_KERNELS_ISA);
    if (save_path.empty() && o.mode == CliMode::Train)
        std::printf("note: no --save_checkpoint given, so the trained model will not be saved\n");
    std::fflush(stdout);

    auto save = [&](const char * why) {
        if (save_path.empty()) return;
        checkpoint_save(save_path, lm.model, lm.tokenizer, &trainer->state());
        std::printf("saved %s after step %d (%s)\n", save_path.c_str(), trainer->state().step, why);
        std::fflush(stdout);
    };

    install_interrupt_handler();
    const int width = int(std::to_string(tc.steps).size());
    float last_val = -1;
    while (!trainer->done()) {
        StepStats s = trainer->step();
        if (s.val_loss >= 0) last_val = s.val_loss;
        if (s.step % o.log_interval == 0 || s.val_loss >= 0 || s.step == 1 || trainer->done()) print_step(s, width);
        if (o.save_interval > 0 && s.step % o.save_interval == 0 && !trainer->done()) save("autosave");
        if (g_interrupted.load()) {
            std::printf("interrupted at step %d\n", s.step);
            save("interrupted");
            if (!save_path.empty())
                std::printf("resume with: microgpt --train --checkpoint %s --data <same data> --resume\n", save_path.c_str());
            return 130;
        }
    }
    save("done");
    if (last_val >= 0) std::printf("final val loss %.4f\n", last_val);
    return 0;
}

int cmd_train(const CliOptions & o) {
    if (o.data.empty()) throw UsageError("--train needs --data <path to a UTF-8 text file>");
    std::string text = read_text_file(o.data);
    return run_training(o, text, o.data);
}

}  // namespace mg
