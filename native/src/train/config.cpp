#include "train/config.h"

#include <string>

#include "core/error.h"

namespace mg {

void validate_train_config(const TrainConfig & c) {
    auto at_least = [](long v, long min, const char * flag, const char * hint) {
        if (v < min)
            MG_THROW_HINT(std::string("--") + flag + " must be at least " + std::to_string(min) + " (got " +
                              std::to_string(v) + ")",
                          hint);
    };
    at_least(c.steps, 1, "steps", "train for at least one step");
    at_least(c.batch_size, 1, "batch_size", "16 is a good start on a Pi 5");
    at_least(c.seq_len, 0, "seq_len", "0 means the model's max_seq_len");
    at_least(c.grad_accum, 1, "grad_accum", "1 means no accumulation");
    at_least(c.warmup_steps, 0, "warmup_steps", "use 0 for no warmup");
    at_least(c.eval_interval, 0, "eval_interval", "0 evaluates only at the end");
    at_least(c.eval_batches, 1, "eval_batches", "8 batches give a stable estimate");
    if (!(c.lr > 0.0f && c.lr < 1.0f)) MG_THROW_HINT("--lr must be in (0, 1)", "1e-3 suits small character models");
    if (!(c.min_lr >= 0.0f && c.min_lr <= c.lr)) MG_THROW_HINT("--min_lr must be in [0, lr]", "e.g. lr / 10");
    if (!(c.weight_decay >= 0.0f && c.weight_decay < 1.0f)) MG_THROW("--weight_decay must be in [0, 1)");
    if (!(c.beta1 >= 0.0f && c.beta1 < 1.0f) || !(c.beta2 >= 0.0f && c.beta2 < 1.0f))
        MG_THROW("--beta1 and --beta2 must be in [0, 1)");
    if (!(c.adam_eps > 0.0f)) MG_THROW("--adam_eps must be positive");
    if (!(c.grad_clip >= 0.0f)) MG_THROW_HINT("--grad_clip must be >= 0", "0 turns clipping off");
    if (!(c.val_fraction > 0.0f && c.val_fraction < 0.5f))
        MG_THROW_HINT("--val_fraction must be in (0, 0.5)", "0.1 holds out the last 10% of the text");
}

}  // namespace mg
