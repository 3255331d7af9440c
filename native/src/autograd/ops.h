// Op builders: each computes its forward now and, when the tape is recording and an input needs
// a gradient, pushes the entry its backward will need. Outputs are allocated on the tape.
#pragma once
#include "autograd/tape.h"

namespace mg {

Tensor * op_encoder(Tape & tape, const int * ids, int B, int T, Tensor * wte, Tensor * wpe);
Tensor * op_matmul(Tape & tape, Tensor * x, Tensor * weight);
Tensor * op_rmsnorm(Tape & tape, Tensor * x, Tensor * weight);
Tensor * op_attention(Tape & tape, Tensor * qkv, int B, int T, int NH);
Tensor * op_gelu(Tape & tape, Tensor * x);
Tensor * op_residual(Tape & tape, Tensor * a, Tensor * b);
Tensor * op_concat(Tape & tape, Tensor * a, Tensor * b);
// Inverted dropout with probability p in [0, 1), its mask drawn from `seed` (kernels/ref/dropout.cpp).
Tensor * op_dropout(Tape & tape, Tensor * x, float p, uint64_t seed);
// A target of kIgnoreTarget (kernels/ref/ref.h) marks a row with nothing to predict (padding after
// a line that is its own sequence): no loss, no gradient. Returns the mean loss over the other
// rows (at least one); the recorded gradient is scale * d(mean loss).
float op_crossentropy(Tape & tape, Tensor * logits, const int * targets, float scale);

}  // namespace mg
