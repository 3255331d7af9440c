// Learning-rate schedule: linear warmup, then a cosine decay from lr to min_lr at the last step.
#pragma once
#include "train/config.h"

namespace mg {

float lr_at(const TrainConfig & config, int step);  // step is 0-based

}  // namespace mg
