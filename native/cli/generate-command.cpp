// microgpt --generate, --chat and --info.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "core/error.h"
#include "generate/generate.h"
#include "io/checkpoint.h"

namespace mg {

static void warn_if_random(const CliOptions & o) {
    if (o.load_checkpoint.empty())
        std::fprintf(stderr, "note: no --checkpoint given, so the model has random weights and its text is noise\n");
}

static GenerateConfig generation_config(const CliOptions & o, const LoadedModel & lm) {
    GenerateConfig g = o.generate;
    if (!o.given.count("kl_threshold") && !g.adaptive) g.kl_threshold = 1e-3f;
    g.line_sequences = lm.line_sequences;
    return g;
}

static void print_stats(const GenerateResult & r, const GenerateConfig & g) {
    std::fprintf(stderr, "[%d tokens in %.2fs, %.1f tok/s, mean passes %.2f, %s weights, stopped: %s]\n", r.tokens,
                 r.seconds, r.tokens_per_sec, r.mean_passes, decode_weights_name(g.weights), r.stop_reason.c_str());
    if (r.trimmed_turns > 0)
        std::fprintf(stderr, "[the %d oldest turns were left out to fit the model's context]\n", r.trimmed_turns);
}

int print_generation(const LoadedModel & lm, const CliOptions & o, const std::string & prompt) {
    g_interrupted.store(false);
    std::fputs(prompt.c_str(), stdout);
    const GenerateConfig cfg = generation_config(o, lm);
    GenerateResult r = generate(lm.model, lm.tokenizer, prompt, cfg, [](const std::string & piece, const std::vector<uint8_t> &) {
        std::fputs(piece.c_str(), stdout);
        std::fflush(stdout);
        return !g_interrupted.load();
    });
    std::fputs("\n", stdout);
    std::fflush(stdout);
    print_stats(r, cfg);
    return 0;
}

int cmd_generate(const CliOptions & o) {
    LoadedModel lm;
    load_model(o, lm);
    warn_if_random(o);
    install_interrupt_handler();
    return print_generation(lm, o, o.prompt);
}

int cmd_chat(const CliOptions & o) {
    LoadedModel lm;
    load_model(o, lm);
    warn_if_random(o);
    install_interrupt_handler();
    std::vector<ChatTurn> history;
    GenerateConfig cfg = generation_config(o, lm);
    std::printf("chat with %s (context %d characters). /reset forgets, /quit or Ctrl-D ends.\n",
                o.load_checkpoint.empty() ? "a random model" : o.load_checkpoint.c_str(), lm.model.config.max_seq_len);
    std::string line;
    while (true) {
        std::printf("> ");
        std::fflush(stdout);
        if (!std::getline(std::cin, line)) {
            std::printf("\n");
            break;
        }
        if (line == "/quit" || line == "/exit") break;
        if (line == "/reset") {
            history.clear();
            std::printf("(conversation cleared)\n");
            continue;
        }
        if (line.empty()) continue;
        history.push_back({ChatRole::User, line});
        try {
            g_interrupted.store(false);
            GenerateResult r = chat_reply(lm.model, lm.tokenizer, history, cfg, [](const std::string & piece, const std::vector<uint8_t> &) {
                std::fputs(piece.c_str(), stdout);
                std::fflush(stdout);
                return !g_interrupted.load();
            });
            std::printf("\n");
            print_stats(r, cfg);
            history.push_back({ChatRole::Assistant, r.text});
        } catch (const error & e) {
            // a bad message must not end the conversation
            history.pop_back();
            std::printf("error: %s\n", e.what());
        }
    }
    return 0;
}

int cmd_info(const CliOptions & o) {
    if (o.load_checkpoint.empty()) throw UsageError("--info needs --checkpoint <path>");
    Checkpoint ck = checkpoint_load(o.load_checkpoint);
    std::printf("checkpoint: %s (format version %u)\n", o.load_checkpoint.c_str(), kCheckpointVersion);
    std::printf("model: %s\n", describe_config(ck.config).c_str());
    std::printf("parameters: %zu\n", ck.params.size());
    std::string sample;
    for (size_t i = 0; i < ck.tokenizer.chars().size() && i < 80; i++) {
        uint32_t cp = ck.tokenizer.chars()[i];
        if (cp == '\n') sample += "\\n";
        else if (cp == '\t') sample += "\\t";
        else utf8_append(sample, cp);
    }
    std::printf("vocabulary: %d tokens (3 special + %zu characters): %s%s\n", ck.tokenizer.vocab_size(),
                ck.tokenizer.chars().size(), sample.c_str(), ck.tokenizer.chars().size() > 80 ? " ..." : "");
    if (ck.has_train_state)
        std::printf("training state: step %d of %d, batch %d, lr %.1e%s (resumable with --resume)\n", ck.train.step,
                    ck.train.config.steps, ck.train.config.batch_size, ck.train.config.lr,
                    ck.train.config.dropout > 0 ? (", dropout " + format_float(ck.train.config.dropout)).c_str() : "");
    else
        std::printf("training state: none (weights only)\n");
    if (ck.has_split || ck.has_train_state)
        std::printf("val split: %s%s\n",
                    !ck.split.lines ? "the text's tail"
                    : ck.split.line_sequences ? "whole lines chosen with the seed, each line its own sequence"
                                              : "whole lines chosen with the seed",
                    (" (" + std::to_string(int(100 * ck.split.val_fraction + 0.5f)) + "%, seed " + std::to_string(ck.split.seed) + ")").c_str());
    if (ck.best.step >= 0)
        std::printf("best val loss: %.4f after step %d%s\n", ck.best.val_loss, ck.best.step,
                    ck.has_train_state ? " (the run's best so far, kept in its best checkpoint)" : "");
    return 0;
}

}  // namespace mg
