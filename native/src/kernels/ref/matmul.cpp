// matmul: a linear layer without bias.
//   out[n,o] = sum_i inp[n,i] * weight[o,i]
// out (N,OC), inp (N,IC), weight (OC,IC)  (PyTorch's nn.Linear layout)
#include "kernels/ref/ref.h"

namespace mg {

void matmul_forward_ref(float * out, const float * inp, const float * weight, size_t N, int IC, int OC) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        const float * x = inp + n * IC;
        float * y = out + n * OC;
        for (int o = 0; o < OC; o++) {
            const float * w = weight + size_t(o) * IC;
            float sum = 0.0f;
            for (int i = 0; i < IC; i++) sum += x[i] * w[i];
            y[o] = sum;
        }
    }
}

// dinp[n,i]    += sum_o dout[n,o] * weight[o,i]
// dweight[o,i] += sum_n dout[n,o] * inp[n,i]
// Each loop is split over the rows it writes, so no two threads touch the same output and the
// result does not depend on the thread count.
void matmul_backward_ref(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                         size_t N, int IC, int OC) {
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (size_t n = 0; n < N; n++) {
            float * dx = dinp + n * IC;
            const float * dy = dout + n * OC;
            for (int o = 0; o < OC; o++) {
                const float * w = weight + size_t(o) * IC;
                float d = dy[o];
                for (int i = 0; i < IC; i++) dx[i] += d * w[i];
            }
        }
    }
    if (dweight) {
#pragma omp parallel for schedule(static)
        for (int o = 0; o < OC; o++) {
            float * dw = dweight + size_t(o) * IC;
            for (size_t n = 0; n < N; n++) {
                const float * x = inp + n * IC;
                float d = dout[n * OC + o];
                for (int i = 0; i < IC; i++) dw[i] += d * x[i];
            }
        }
    }
}

}  // namespace mg
