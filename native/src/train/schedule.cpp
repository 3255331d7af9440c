#include "train/schedule.h"

#include <cmath>

namespace mg {

float lr_at(const TrainConfig & c, int step) {
    if (c.warmup_steps > 0 && step < c.warmup_steps) return c.lr * float(step + 1) / float(c.warmup_steps);
    int span = c.steps - c.warmup_steps;
    if (span <= 0) return c.lr;
    float ratio = float(step - c.warmup_steps) / float(span);
    if (ratio > 1.0f) ratio = 1.0f;
    float coeff = 0.5f * (1.0f + std::cos(3.14159265358979f * ratio));
    return c.min_lr + coeff * (c.lr - c.min_lr);
}

}  // namespace mg
