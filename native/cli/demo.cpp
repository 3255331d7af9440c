// The demo that runs when microgpt is started without arguments: a small model learns a
// generated text for about a minute, then samples at one and at three recursion passes.
#include <cstdio>

#include "cli/commands.h"
#include "data/synthetic-corpus.h"
#include "model/config.h"

namespace mg {

int cmd_demo(const CliOptions & cli) {
    std::printf("MicroGPT-RLM-PI demo: a tiny recursive GPT learns a generated English text on this CPU.\n"
                "(run `microgpt --help` for real training, generation and chat; the presets train a plain GPT\n"
                "unless --max_passes is above 1, and the demo switches recursion on to show its passes)\n\n");
    CliOptions o = cli;
    o.mode = CliMode::Train;
    o.preset = "micro";
    if (!o.given.count("max_passes")) o.model.max_passes = 4, o.given.insert("max_passes");
    o.train.steps = o.given.count("steps") ? o.train.steps : 400;
    o.train.warmup_steps = o.given.count("warmup_steps") ? o.train.warmup_steps : 30;
    o.train.eval_interval = 100;
    o.log_interval = 50;
    o.save_interval = 0;
    std::string text = synthetic_corpus(200000, 7);
    LoadedModel lm;
    int rc = run_training(o, text, "the built-in generated text", &lm);
    if (rc != 0) return rc;
    for (int passes : {1, 3}) {
        std::printf("\nsample with %d recursion pass%s:\n", passes, passes == 1 ? "" : "es");
        CliOptions g = o;
        g.generate.passes = passes;
        g.generate.max_tokens = 160;
        print_generation(lm, g, "The ");
    }
    return 0;
}

}  // namespace mg
