// crossentropy (softmax fused with the NLL), AVX2+FMA.
// losses (N), probs (N,V), logits (N,V), targets (N)
#include <cmath>

#include "kernels/x86/vec-avx2.h"
#include "kernels/x86/x86.h"

namespace mg {

void crossentropy_forward_avx2(float * losses, float * probs, const float * logits, const int * targets, size_t N,
                               int V) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        const float * z = logits + n * V;
        float * p = probs + n * V;
        __m256 vmax = _mm256_set1_ps(-INFINITY);
        int i = 0;
        for (; i + 8 <= V; i += 8) {
            __m256 zi = _mm256_loadu_ps(z + i);
            vmax = _mm256_max_ps(vmax, zi);
            _mm256_storeu_ps(p + i, zi);
        }
        alignas(32) float m8[8];
        _mm256_store_ps(m8, vmax);
        float maxv = m8[0];
        for (int j = 1; j < 8; j++) maxv = m8[j] > maxv ? m8[j] : maxv;
        // leftovers
        for (; i < V; i++) {
            maxv = z[i] > maxv ? z[i] : maxv;
            p[i] = z[i];
        }
        const float sum = exp_shift_sum_avx2(p, V, maxv);
        scale_avx2(p, 1.0f / sum, V);
        // log-sum-exp form keeps the loss finite even when the target's probability underflows
        losses[n] = std::log(sum) + maxv - z[targets[n]];
    }
}

// dlogits[n,i] += dloss * (probs[n,i] - [i == targets[n]])
void crossentropy_backward_avx2(float * dlogits, const float * probs, const int * targets, float dloss, size_t N,
                                int V) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        axpy_avx2(dlogits + n * V, dloss, probs + n * V, V);
        dlogits[n * V + targets[n]] -= dloss;
    }
}

}  // namespace mg
