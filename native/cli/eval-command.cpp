// microgpt --eval: translate the flags into an EvalRequest, run the engine's whole-split
// evaluation (eval/evaluate.h) and print its result, as text or as one JSON object.
#include <omp.h>

#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "core/error.h"
#include "eval/evaluate.h"

namespace mg {

static std::string json_string(const std::string & s) {
    std::string out = "\"";
    for (unsigned char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\', out += char(ch);
        else if (ch == '\n') out += "\\n";
        else if (ch == '\t') out += "\\t";
        else if (ch < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", ch);
            out += buf;
        } else out += char(ch);
    }
    return out + "\"";
}

static std::string json_number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

static void print_json(const CliOptions & o, const EvalReport & rep) {
    const EvalResult & r = rep.result;
    const bool val = o.split == "val";
    std::string s = "{";
    auto field = [&](const char * key, const std::string & value) {
        if (s.size() > 1) s += ", ";
        s += json_string(key) + ": " + value;
    };
    field("checkpoint", json_string(o.load_checkpoint));
    field("data", json_string(o.data));
    field("split", json_string(o.split));
    field("val_fraction", val ? format_float(rep.val_fraction) : "null");
    field("split_lines", rep.split_lines ? "true" : "false");
    field("line_sequences", rep.line_sequences ? "true" : "false");
    field("data_tokens", std::to_string(rep.data_tokens));
    field("data_is_training_data", rep.data_is_training_data ? (*rep.data_is_training_data ? "true" : "false") : "null");
    field("tokens", std::to_string(r.tokens));
    field("windows", std::to_string(r.windows));
    field("seq_len", std::to_string(r.seq_len));
    field("passes", std::to_string(r.passes));
    field("adaptive", r.adaptive ? "true" : "false");
    field("kl_threshold", r.adaptive ? format_float(o.generate.kl_threshold) : "null");
    field("mean_passes", json_number(r.mean_passes));
    field("loss", json_number(r.loss));
    field("bits_per_char", json_number(r.bits_per_char));
    field("seconds", json_number(r.seconds));
    field("tokens_per_sec", json_number(r.tokens_per_sec));
    field("ms_per_token", json_number(r.ms_per_token));
    field("threads", std::to_string(omp_get_max_threads()));
    std::printf("%s}\n", s.c_str());
}

static void print_text(const CliOptions & o, const EvalReport & rep) {
    const EvalResult & r = rep.result;
    std::string what = o.split != "val" ? "the whole text"
                       : rep.split_lines ? "val split (" + format_float(100.0f * rep.val_fraction) + "% in whole lines, the run's seeded choice)"
                                         : "val split (the last " + format_float(100.0f * rep.val_fraction) + "%)";
    std::printf("eval: %s on %s, %s: %s of %s characters\n", o.load_checkpoint.c_str(), o.data.c_str(), what.c_str(),
                with_commas(double(rep.split_end - rep.split_begin)).c_str(), with_commas(double(rep.data_tokens)).c_str());
    if (o.split == "val" && rep.data_is_training_data && !*rep.data_is_training_data)
        std::printf("note: this is not the text the checkpoint was trained on, so its tail is not the run's held-out part\n");
    std::string passes = r.adaptive ? "adaptive, at most " + std::to_string(r.passes) + " (KL < " +
                                          format_float(o.generate.kl_threshold) + ")"
                                    : std::to_string(r.passes);
    std::printf("passes %s, mean %.2f | %s tokens in %s windows of %s%d | %d threads\n", passes.c_str(), r.mean_passes,
                with_commas(double(r.tokens)).c_str(), with_commas(double(r.windows)).c_str(),
                rep.line_sequences ? "a line each, up to " : "", r.seq_len, omp_get_max_threads());
    std::printf("loss %.4f nats | %.4f bits/char | %s tok/s | %.4f ms/token | %.2f s\n", r.loss, r.bits_per_char,
                with_commas(r.tokens_per_sec).c_str(), r.ms_per_token, r.seconds);
}

int cmd_eval(const CliOptions & o) {
    if (o.load_checkpoint.empty()) throw UsageError("--eval needs --checkpoint <path>");
    if (o.data.empty())
        throw UsageError("--eval needs --data <text file> (a checkpoint does not keep its training text; give that file "
                         "to evaluate its val split)");
    EvalRequest r;
    r.checkpoint_path = o.load_checkpoint;
    r.data_path = o.data;
    r.split = eval_split_from_name(o.split);
    if (o.given.count("val_fraction")) r.val_fraction = o.train.val_fraction;
    r.config.passes = o.generate.passes;
    r.config.adaptive = o.generate.adaptive;
    r.config.kl_threshold = o.generate.kl_threshold;
    r.config.batch_size = o.train.batch_size;
    r.config.seq_len = o.train.seq_len;
    g_interrupted.store(false);
    install_interrupt_handler();
    EvalReport rep;
    try {
        rep = run_evaluation(r, &g_interrupted);
    } catch (const error & e) {
        if (e.code != errc::kCancelled) throw;
        std::fprintf(stderr, "interrupted\n");
        return 130;
    }
    if (o.json) print_json(o, rep);
    else print_text(o, rep);
    return 0;
}

}  // namespace mg
