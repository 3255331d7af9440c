#include "train/config.h"

#include <cmath>
#include <string>

#include "core/error.h"
#include "model/limits.h"

namespace mg {

void validate_train_config(const TrainConfig & c) {
    auto field = [](int v, const FieldLimit & limit, const char * hint) {
        check_limit(v, limit, hint, (std::string("--") + limit.name).c_str());
    };
    field(c.steps, limits::steps, "train for at least one step");
    field(c.batch_size, limits::batch_size, "16 is a good start on a Pi 5");
    field(c.seq_len, limits::seq_len, "0 means the model's max_seq_len");
    field(c.grad_accum, limits::grad_accum, "1 means no accumulation");
    field(c.warmup_steps, limits::warmup_steps, "use 0 for no warmup");
    field(c.eval_interval, limits::eval_interval, "0 evaluates only at the end");
    field(c.eval_batches, limits::eval_batches, "8 batches give a stable estimate");
    if (!(c.lr > 0.0f && c.lr < 1.0f)) MG_THROW_HINT("--lr must be in (0, 1)", "1e-3 suits small character models");
    if (!(c.min_lr >= 0.0f && c.min_lr <= c.lr)) MG_THROW_HINT("--min_lr must be in [0, lr]", "e.g. lr / 10");
    if (!(c.weight_decay >= 0.0f && c.weight_decay < 1.0f)) MG_THROW("--weight_decay must be in [0, 1)");
    if (!(c.beta1 >= 0.0f && c.beta1 < 1.0f) || !(c.beta2 >= 0.0f && c.beta2 < 1.0f))
        MG_THROW("--beta1 and --beta2 must be in [0, 1)");
    if (!(c.adam_eps > 0.0f && c.adam_eps < 1.0f)) MG_THROW("adam_eps must be in (0, 1)");
    if (!(c.dropout >= 0.0f && c.dropout < 1.0f))
        MG_THROW_HINT("--dropout must be in [0, 1)", "0 (none) or 0.1-0.2 for a model that overfits its text");
    if (!(c.grad_clip >= 0.0f && std::isfinite(c.grad_clip))) MG_THROW_HINT("--grad_clip must be >= 0", "0 turns clipping off");
    if (!(c.val_fraction > 0.0f && c.val_fraction < 0.5f))
        MG_THROW_HINT("--val_fraction must be in (0, 0.5)", "0.1 holds out the last 10% of the text");
    if (c.line_sequences && !c.split_lines)
        MG_THROW_CODE(errc::kBadRequest, "line_sequences trains on whole lines, so it needs split_lines (whole lines held out)",
                      "turn split_lines on as well");
}

}  // namespace mg
