// rmsnorm, NEON. out (N,C), rstd (N), inp (N,C), weight (C)
#include <cmath>

#include "kernels/arm/arm.h"
#include "kernels/arm/vec-neon.h"

namespace mg {

static constexpr float kRmsEps = 1e-5f;

// one row: y (C) = x * r * weight; returns r = 1 / rms(x)
static float rms_row(float * y, const float * x, const float * weight, int C) {
    const float r = 1.0f / std::sqrt(dot_neon(x, x, C) / C + kRmsEps);
    int c = 0;
    for (; c + 4 <= C; c += 4) vst1q_f32(y + c, vmulq_f32(vmulq_n_f32(vld1q_f32(x + c), r), vld1q_f32(weight + c)));
    // leftovers
    for (; c < C; c++) y[c] = x[c] * r * weight[c];
    return r;
}

void rmsnorm_forward_neon(float * out, float * rstd, const float * inp, const float * weight, size_t N, int C) {
    if (N == 1) {  // a decoder row, inside the decoder's own region: no OpenMP region, not even an inactive one
        const float r = rms_row(out, inp, weight, C);
        if (rstd) rstd[0] = r;
        return;
    }
    // rows are independent
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        const float r = rms_row(out + n * C, inp + n * C, weight, C);
        if (rstd) rstd[n] = r;
    }
}

//   dinp[n,c]  += r * weight[c] * dout[n,c] - x[n,c] * r^3 * mean_j(weight[j] dout[n,j] x[n,j])
//   dweight[c] += sum_n dout[n,c] * x[n,c] * r[n]
void rmsnorm_backward_neon(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                           const float * rstd, size_t N, int C) {
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (size_t n = 0; n < N; n++) {
            const float * x = inp + n * C;
            const float * dy = dout + n * C;
            float * dx = dinp + n * C;
            const float r = rstd[n];
            float32x4_t vdot = vdupq_n_f32(0.0f);
            int c = 0;
            for (; c + 4 <= C; c += 4)
                vdot = vfmaq_f32(vdot, vmulq_f32(vld1q_f32(weight + c), vld1q_f32(dy + c)), vld1q_f32(x + c));
            float dot = vaddvq_f32(vdot);
            // leftovers
            for (; c < C; c++) dot += weight[c] * dy[c] * x[c];
            const float k = r * r * r * dot / C;
            for (c = 0; c + 4 <= C; c += 4) {
                float32x4_t g = vmulq_n_f32(vmulq_f32(vld1q_f32(weight + c), vld1q_f32(dy + c)), r);
                g = vfmsq_n_f32(g, vld1q_f32(x + c), k);
                vst1q_f32(dx + c, vaddq_f32(vld1q_f32(dx + c), g));
            }
            // leftovers
            for (; c < C; c++) dx[c] += r * weight[c] * dy[c] - k * x[c];
        }
    }
    if (dweight) {
        // column sums: split over 4-channel groups so each thread owns its dweight entries
        const int groups = (C + 3) / 4;
#pragma omp parallel for schedule(static)
        for (int gi = 0; gi < groups; gi++) {
            const int c0 = gi * 4;
            if (c0 + 4 <= C) {
                float32x4_t s = vdupq_n_f32(0.0f);
                for (size_t n = 0; n < N; n++)
                    s = vfmaq_n_f32(s, vmulq_f32(vld1q_f32(dout + n * C + c0), vld1q_f32(inp + n * C + c0)), rstd[n]);
                vst1q_f32(dweight + c0, vaddq_f32(vld1q_f32(dweight + c0), s));
                continue;
            }
            // leftovers: the last partial group
            for (int c = c0; c < C; c++) {
                float s = 0.0f;
                for (size_t n = 0; n < N; n++) s += dout[n * C + c] * inp[n * C + c] * rstd[n];
                dweight[c] += s;
            }
        }
    }
}

}  // namespace mg
