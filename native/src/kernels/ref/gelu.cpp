// gelu: the tanh approximation used by GPT-2.
//   out = 0.5 * x * (1 + tanh(k * (x + 0.044715 x^3))),  k = sqrt(2/pi)
// out (N), inp (N)
#include <cmath>

#include "kernels/ref/ref.h"

namespace mg {

static constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2/pi)

void gelu_forward_ref(float * out, const float * inp, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) {
        float x = inp[i];
        float u = kGeluScale * (x + 0.044715f * x * x * x);
        out[i] = 0.5f * x * (1.0f + std::tanh(u));
    }
}

// d out/dx = 0.5 (1 + tanh u) + 0.5 x sech^2(u) k (1 + 3 * 0.044715 x^2)
void gelu_backward_ref(float * dinp, const float * dout, const float * inp, size_t N) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < N; i++) {
        float x = inp[i];
        float u = kGeluScale * (x + 0.044715f * x * x * x);
        float th = std::tanh(u);
        float sech2 = 1.0f - th * th;
        float grad = 0.5f * (1.0f + th) + 0.5f * x * sech2 * kGeluScale * (1.0f + 3.0f * 0.044715f * x * x);
        dinp[i] += grad * dout[i];
    }
}

}  // namespace mg
