#include "cli/args.h"

#include "model/limits.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <vector>

namespace mg {

namespace {

long to_int(const std::string & flag, const std::string & v, long min, long max) {
    char * end = nullptr;
    errno = 0;
    long x = std::strtol(v.c_str(), &end, 10);
    if (v.empty() || *end || errno)
        throw UsageError("invalid value '" + v + "' for --" + flag + ": expected a whole number");
    if (x < min || x > max)
        throw UsageError("--" + flag + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                         " (got " + v + ")");
    return x;
}

float to_float(const std::string & flag, const std::string & v) {
    char * end = nullptr;
    errno = 0;
    float x = std::strtof(v.c_str(), &end);
    if (v.empty() || *end || errno || !std::isfinite(x))
        throw UsageError("invalid value '" + v + "' for --" + flag + ": expected a number");
    return x;
}

struct Flag {
    const char * name;
    const char * arg;  // null for a switch
    const char * group;
    const char * help;
    std::function<void(CliOptions &, const std::string &)> apply;
};

using O = CliOptions;

const std::vector<Flag> & flags() {
    static const std::vector<Flag> table = [] {
        std::vector<Flag> t;
        auto add = [&](const char * name, const char * arg, const char * group, const char * help,
                       std::function<void(O &, const std::string &, const std::string &)> fn) {
            std::string n = name;
            t.push_back({name, arg, group, help, [n, fn](O & o, const std::string & v) { fn(o, n, v); }});
        };
        auto mode = [&](const char * name, CliMode m, const char * help) {
            add(name, nullptr, "Modes", help, [m](O & o, const std::string &, const std::string &) { o.mode = m; });
        };
        auto int_flag = [&](const char * name, const char * group, const char * help, long lo, long hi,
                            std::function<int &(O &)> field) {
            add(name, "<n>", group, help,
                [=](O & o, const std::string & f, const std::string & v) { field(o) = int(to_int(f, v, lo, hi)); });
        };
        // a model or training field: its bounds are the engine's (model/limits.h)
        auto field_flag = [&](const FieldLimit & lim, const char * group, const char * help, std::function<int &(O &)> field) {
            int_flag(lim.name, group, help, lim.min, lim.max, std::move(field));
        };
        auto float_flag = [&](const char * name, const char * group, const char * help, std::function<float &(O &)> field) {
            add(name, "<x>", group, help, [=](O & o, const std::string & f, const std::string & v) { field(o) = to_float(f, v); });
        };
        auto str_flag = [&](const char * name, const char * arg, const char * group, const char * help,
                            std::function<std::string &(O &)> field) {
            add(name, arg, group, help, [=](O & o, const std::string &, const std::string & v) { field(o) = v; });
        };
        const char * F = "Files", * A = "Model", * R = "Recursion", * TR = "Training",
                   * G = "Generation", * E = "Evaluation", * X = "General";
        mode("train", CliMode::Train, "train a model on --data");
        mode("generate", CliMode::Generate, "generate text from --prompt");
        mode("chat", CliMode::Chat, "interactive chat (/quit or Ctrl-D ends, /reset forgets the conversation)");
        mode("eval", CliMode::Eval, "the loss and bits per character of --checkpoint over the whole val split of --data");
        mode("info", CliMode::Info, "print a checkpoint's model, vocabulary and training state");
        mode("help", CliMode::Help, "show this help");
        mode("version", CliMode::Version, "print the version and build");
        str_flag("data", "<path>", F, "training text (UTF-8); with --eval, the text to evaluate", [](O & o) -> std::string & { return o.data; });
        str_flag("save_checkpoint", "<path>", F, "save the model here (atomically) during and after training",
                 [](O & o) -> std::string & { return o.save_checkpoint; });
        str_flag("load_checkpoint", "<path>", F, "start from this checkpoint", [](O & o) -> std::string & { return o.load_checkpoint; });
        str_flag("checkpoint", "<path>", F, "shorthand for --load_checkpoint", [](O & o) -> std::string & { return o.load_checkpoint; });
        add("resume", nullptr, F, "continue the checkpoint's interrupted run exactly (same data, schedule, RNG)",
            [](O & o, const std::string &, const std::string &) { o.resume = true; });
        str_flag("preset", "<name>", A, "micro | 8gb | 16gb | small | medium (default 8gb)",
                 [](O & o) -> std::string & { return o.preset; });
        field_flag(limits::embed_dim, A, "channels per token", [](O & o) -> int & { return o.model.embed_dim; });
        field_flag(limits::num_layers, A, "transformer layers (prelude + core + coda)", [](O & o) -> int & { return o.model.num_layers; });
        field_flag(limits::num_heads, A, "attention heads (must divide embed_dim)", [](O & o) -> int & { return o.model.num_heads; });
        field_flag(limits::max_seq_len, A, "context length in characters", [](O & o) -> int & { return o.model.max_seq_len; });
        field_flag(limits::hidden_dim, A, "MLP hidden width", [](O & o) -> int & { return o.model.hidden_dim; });
        field_flag(limits::prelude_layers, R, "unshared layers before the shared core", [](O & o) -> int & { return o.model.prelude_layers; });
        field_flag(limits::coda_layers, R, "unshared layers after the shared core", [](O & o) -> int & { return o.model.coda_layers; });
        float_flag("mean_passes", R, "training: mean core passes per step", [](O & o) -> float & { return o.model.mean_passes; });
        field_flag(limits::max_passes, R, "training: most passes per step; 1 = plain GPT, no recursion",
                 [](O & o) -> int & { return o.model.max_passes; });
        field_flag(limits::backprop_passes, R, "training: gradients flow through the last k passes",
                 [](O & o) -> int & { return o.model.backprop_passes; });
        int_flag("passes", R, "inference: core passes per token (default: the training mean)", 1, 64,
                 [](O & o) -> int & { return o.generate.passes; });
        add("adaptive", nullptr, R, "inference: stop passes once the next-token distribution settles",
            [](O & o, const std::string &, const std::string &) { o.generate.adaptive = true; });
        float_flag("kl_threshold", R, "inference: adaptive stop when KL to the previous pass is below this (1e-3)",
                   [](O & o) -> float & { return o.generate.kl_threshold; });
        field_flag(limits::steps, TR, "optimizer steps (default 2000)", [](O & o) -> int & { return o.train.steps; });
        field_flag(limits::batch_size, TR, "sequences per batch (default 16)", [](O & o) -> int & { return o.train.batch_size; });
        field_flag(limits::seq_len, TR, "characters per sequence (default max_seq_len; with --line_sequences the longest line)", [](O & o) -> int & { return o.train.seq_len; });
        field_flag(limits::grad_accum, TR, "batches per optimizer step (default 1)", [](O & o) -> int & { return o.train.grad_accum; });
        float_flag("lr", TR, "peak learning rate (default: the preset's, 3e-3 for micro and 8gb; 1e-3 from a checkpoint)", [](O & o) -> float & { return o.train.lr; });
        float_flag("min_lr", TR, "final learning rate of the cosine (default 1e-4)", [](O & o) -> float & { return o.train.min_lr; });
        field_flag(limits::warmup_steps, TR, "linear warmup steps (default 100)", [](O & o) -> int & { return o.train.warmup_steps; });
        float_flag("weight_decay", TR, "AdamW decoupled weight decay (default 0.1)", [](O & o) -> float & { return o.train.weight_decay; });
        float_flag("beta1", TR, "AdamW beta1 (default 0.9)", [](O & o) -> float & { return o.train.beta1; });
        float_flag("beta2", TR, "AdamW beta2 (default 0.99)", [](O & o) -> float & { return o.train.beta2; });
        float_flag("grad_clip", TR, "clip the global gradient norm to this; 0 = off (default 1)", [](O & o) -> float & { return o.train.grad_clip; });
        float_flag("dropout", TR, "dropout on the embeddings and residual branches while training, in [0, 1) (default 0)",
                   [](O & o) -> float & { return o.train.dropout; });
        field_flag(limits::eval_interval, TR, "val loss every N steps; 0 = at the end only (default 100)",
                 [](O & o) -> int & { return o.train.eval_interval; });
        field_flag(limits::eval_batches, TR, "batches per val evaluation (default 8)", [](O & o) -> int & { return o.train.eval_batches; });
        float_flag("val_fraction", TR, "share of the text held out for validation (default 0.1)",
                   [](O & o) -> float & { return o.train.val_fraction; });
        add("split_lines", nullptr, TR, "hold out whole lines chosen with --seed, not the text's tail (for lists, e.g. names)",
            [](O & o, const std::string &, const std::string &) { o.train.split_lines = true; });
        add("line_sequences", nullptr, TR,
            "train each line as its own sequence from position 0, as makemore does (sets --split_lines; every line must fit the context)",
            [](O & o, const std::string &, const std::string &) { o.train.split_lines = o.train.line_sequences = true; });
        int_flag("log_interval", TR, "print progress every N steps (default 10)", 1, INT_MAX, [](O & o) -> int & { return o.log_interval; });
        int_flag("save_interval", TR, "autosave every N steps; 0 = only at the end (default 500)", 0, INT_MAX,
                 [](O & o) -> int & { return o.save_interval; });
        int_flag("sample_every", TR, "print a 120-character sample of the model's text every N steps (default: none)", 0,
                 INT_MAX, [](O & o) -> int & { return o.sample_every; });
        str_flag("prompt", "<text>", G, "text to continue (default: a new line)", [](O & o) -> std::string & { return o.prompt; });
        int_flag("max_tokens", G, "characters to generate (default 200)", 1, 1000000, [](O & o) -> int & { return o.generate.max_tokens; });
        float_flag("temperature", G, "0 = greedy; higher = more random (default 0.8)",
                   [](O & o) -> float & { return o.generate.sampler.temperature; });
        int_flag("top_k", G, "sample from the k likeliest; 0 = off (default 40)", 0, 1000000,
                 [](O & o) -> int & { return o.generate.sampler.top_k; });
        float_flag("top_p", G, "nucleus sampling mass; 1 = off (default 0.95)", [](O & o) -> float & { return o.generate.sampler.top_p; });
        float_flag("repetition_penalty", G, "penalise recently used characters; 1 = off (default 1.1)",
                   [](O & o) -> float & { return o.generate.sampler.repetition_penalty; });
        int_flag("repetition_window", G, "how many recent characters the penalty sees (default 64)", 0, 1000000,
                 [](O & o) -> int & { return o.generate.sampler.repetition_window; });
        add("stop", "<text>", G, "stop before this text (repeatable; \\n means a newline)",
            [](O & o, const std::string &, const std::string & v) {
                std::string s;
                for (size_t i = 0; i < v.size(); i++) {
                    if (v[i] == '\\' && i + 1 < v.size() && v[i + 1] == 'n') s += '\n', i++;
                    else s += v[i];
                }
                o.generate.stop.push_back(s);
            });
        add("weights", "<fp16|fp32>", G, "weight precision while generating: fp16 reads half the bytes (default), fp32 is exact",
            [](O & o, const std::string & f, const std::string & v) {
                if (v != "fp16" && v != "fp32") throw UsageError("--" + f + " must be fp16 or fp32 (got " + v + ")");
                o.generate.weights = decode_weights_from_name(v);
            });
        add("split", "<val|all>", E, "--eval: the val split the trainer holds out (default), or all of the text",
            [](O & o, const std::string & f, const std::string & v) {
                if (v != "val" && v != "all") throw UsageError("--" + f + " must be val or all (got " + v + ")");
                o.split = v;
            });
        add("json", nullptr, E, "--eval: print the result as one JSON object",
            [](O & o, const std::string &, const std::string &) { o.json = true; });
        int_flag("threads", X, "CPU threads (default: all cores)", 1, 1024, [](O & o) -> int & { return o.threads; });
        add("seed", "<n>", X, "seed for initialisation, batches and sampling (default 1337 / 42)",
            [](O & o, const std::string & f, const std::string & v) {
                uint64_t s = uint64_t(to_int(f, v, 0, LONG_MAX));
                o.train.seed = s;
                o.generate.sampler.seed = s;
            });
        return t;
    }();
    return table;
}

const std::vector<std::string> kModeFlags = {"train", "generate", "chat", "eval", "info", "help", "version"};

}  // namespace

std::string usage_line() {
    return "usage: microgpt [--train --data <path> | --generate | --chat | --eval | --info] [options]   (microgpt --help lists them)";
}

CliOptions parse_args(int argc, const char * const * argv) {
    CliOptions o;
    std::vector<std::string> modes;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "-h") a = "--help";
        if (a.rfind("--", 0) != 0)
            throw UsageError("unexpected argument '" + a + "'" +
                             (i > 1 ? " (a value needs its flag, e.g. --prompt \"" + a + "\")" : ""));
        std::string name = a.substr(2), value;
        bool inline_value = false;
        if (size_t eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
            inline_value = true;
        }
        const Flag * flag = nullptr;
        for (auto & f : flags())
            if (name == f.name) flag = &f;
        if (!flag) throw UsageError("unknown flag '--" + name + "'");
        if (flag->arg && !inline_value) {
            if (i + 1 >= argc) throw UsageError("--" + name + " needs a value " + flag->arg);
            value = argv[++i];
        } else if (!flag->arg && inline_value) {
            throw UsageError("--" + name + " takes no value");
        }
        if (std::find(kModeFlags.begin(), kModeFlags.end(), name) != kModeFlags.end()) modes.push_back(name);
        if (o.given.count(name) && name != "stop") throw UsageError("--" + name + " is given twice");
        flag->apply(o, value);
        o.given.insert(name == "checkpoint" ? "load_checkpoint" : name);
    }
    if (modes.size() > 1) throw UsageError("choose one mode, not --" + modes[0] + " and --" + modes[1]);
    if (o.given.count("load_checkpoint") && o.given.count("checkpoint"))
        throw UsageError("give --checkpoint or --load_checkpoint, not both");
    return o;
}

std::string help_text() {
    std::string s = "MicroGPT-RLM-PI " MG_VERSION
                    ": train and run a character-level GPT with recursive refinement on a CPU.\n\n" +
                    usage_line() + "\n";
    std::string group;
    for (auto & f : flags()) {
        if (group != f.group) {
            group = f.group;
            s += "\n" + group + ":\n";
        }
        std::string left = std::string("  --") + f.name + (f.arg ? std::string(" ") + f.arg : "");
        if (left.size() < 28) left.resize(28, ' ');
        else left += "  ";
        s += left + f.help + "\n";
    }
    s += "\nExamples:\n"
         "  microgpt                                         a one-minute demo: train a tiny model, then sample\n"
         "  microgpt --train --data names.txt --steps 5000 --save_checkpoint names.bin\n"
         "  microgpt --train --data names.txt --load_checkpoint names.bin --steps 2000 --save_checkpoint names2.bin\n"
         "  microgpt --train --checkpoint names.bin --data names.txt --resume\n"
         "  microgpt --generate --checkpoint names.bin --prompt \"em\" --passes 4\n"
         "  microgpt --chat --checkpoint chat.bin\n"
         "  microgpt --eval --checkpoint names.bin --data names.txt --passes 2 --json\n";
    return s;
}

}  // namespace mg
