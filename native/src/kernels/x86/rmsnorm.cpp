// rmsnorm, AVX2+FMA. out (N,C), rstd (N), inp (N,C), weight (C)
#include <cmath>

#include "kernels/x86/vec-avx2.h"
#include "kernels/x86/x86.h"

namespace mg {

static constexpr float kRmsEps = 1e-5f;

// one row: y (C) = x * r * weight; returns r = 1 / rms(x)
static float rms_row(float * y, const float * x, const float * weight, int C) {
    const float r = 1.0f / std::sqrt(dot_avx2(x, x, C) / C + kRmsEps);
    const __m256 vr = _mm256_set1_ps(r);
    int c = 0;
    for (; c + 8 <= C; c += 8)
        _mm256_storeu_ps(y + c, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + c), vr), _mm256_loadu_ps(weight + c)));
    // leftovers
    for (; c < C; c++) y[c] = x[c] * r * weight[c];
    return r;
}

void rmsnorm_forward_avx2(float * out, float * rstd, const float * inp, const float * weight, size_t N, int C) {
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
void rmsnorm_backward_avx2(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                           const float * rstd, size_t N, int C) {
    if (dinp) {
#pragma omp parallel for schedule(static)
        for (size_t n = 0; n < N; n++) {
            const float * x = inp + n * C;
            const float * dy = dout + n * C;
            float * dx = dinp + n * C;
            const float r = rstd[n];
            __m256 vdot = _mm256_setzero_ps();
            int c = 0;
            for (; c + 8 <= C; c += 8)
                vdot = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(weight + c), _mm256_loadu_ps(dy + c)),
                                       _mm256_loadu_ps(x + c), vdot);
            float dot = hsum_avx2(vdot);
            // leftovers
            for (; c < C; c++) dot += weight[c] * dy[c] * x[c];
            const float k = r * r * r * dot / C;
            const __m256 vr = _mm256_set1_ps(r), vk = _mm256_set1_ps(k);
            for (c = 0; c + 8 <= C; c += 8) {
                __m256 g = _mm256_mul_ps(_mm256_mul_ps(vr, _mm256_loadu_ps(weight + c)), _mm256_loadu_ps(dy + c));
                g = _mm256_fnmadd_ps(vk, _mm256_loadu_ps(x + c), g);
                _mm256_storeu_ps(dx + c, _mm256_add_ps(_mm256_loadu_ps(dx + c), g));
            }
            // leftovers
            for (; c < C; c++) dx[c] += r * weight[c] * dy[c] - k * x[c];
        }
    }
    if (dweight) {
        // column sums: split over 8-channel groups so each thread owns its dweight entries
        const int groups = (C + 7) / 8;
#pragma omp parallel for schedule(static)
        for (int gi = 0; gi < groups; gi++) {
            const int c0 = gi * 8;
            if (c0 + 8 <= C) {
                __m256 s = _mm256_setzero_ps();
                for (size_t n = 0; n < N; n++)
                    s = _mm256_fmadd_ps(_mm256_mul_ps(_mm256_loadu_ps(dout + n * C + c0), _mm256_loadu_ps(inp + n * C + c0)),
                                        _mm256_set1_ps(rstd[n]), s);
                _mm256_storeu_ps(dweight + c0, _mm256_add_ps(_mm256_loadu_ps(dweight + c0), s));
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
