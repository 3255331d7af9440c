// rmsnorm: root-mean-square normalisation with a learned gain (no mean subtraction, no bias).
//   rstd[n]  = 1 / sqrt(mean_c(inp[n,c]^2) + eps)
//   out[n,c] = inp[n,c] * rstd[n] * weight[c]
// out (N,C), rstd (N) saved for backward, inp (N,C), weight (C)
#include <cmath>

#include "kernels/ref/ref.h"

namespace mg {

static constexpr float kRmsEps = 1e-5f;

void rmsnorm_forward_ref(float * out, float * rstd, const float * inp, const float * weight, size_t N, int C) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        const float * x = inp + n * C;
        float * y = out + n * C;
        float ss = 0.0f;
        for (int c = 0; c < C; c++) ss += x[c] * x[c];
        float r = 1.0f / std::sqrt(ss / C + kRmsEps);
        for (int c = 0; c < C; c++) y[c] = x[c] * r * weight[c];
        if (rstd) rstd[n] = r;
    }
}

// With g = weight * dout and r = rstd:
//   dinp[n,c]  += r * (g[c] - inp[n,c] * r^2 * mean_j(g[j] * inp[n,j]))
//   dweight[c] += sum_n dout[n,c] * inp[n,c] * r[n]
void rmsnorm_backward_ref(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                          const float * rstd, size_t N, int C) {
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (size_t n = 0; n < N; n++) {
            const float * x = inp + n * C;
            const float * dy = dout + n * C;
            float * dx = dinp + n * C;
            float r = rstd[n];
            float dot = 0.0f;
            for (int c = 0; c < C; c++) dot += weight[c] * dy[c] * x[c];
            float k = r * r * r * dot / C;
            for (int c = 0; c < C; c++) dx[c] += r * weight[c] * dy[c] - k * x[c];
        }
    }
    if (dweight) {
        // column sums: split over channels so each thread owns its dweight entries
#pragma omp parallel for schedule(static)
        for (int c = 0; c < C; c++) {
            float s = 0.0f;
            for (size_t n = 0; n < N; n++) s += dout[n * C + c] * inp[n * C + c] * rstd[n];
            dweight[c] += s;
        }
    }
}

}  // namespace mg
