// dropout (inverted): each element kept with probability 1 - p and scaled by 1 / (1 - p), so the
// expectation is the input's; at inference it is the identity and is not run at all.
//   keep[i] = hash(seed, i) >= p;  out[i] = keep[i] ? x[i] / (1 - p) : 0;  dx[i] += keep[i] ? dout[i] / (1 - p) : 0
// out, x, dx, dout (N)
// The mask is a pure function of (seed, i): nothing is stored between forward and backward, and
// it is the same at any thread count.
#include "kernels/ref/ref.h"

namespace mg {

// splitmix64's finaliser of seed + i: 24 uniform bits compared against p
static inline bool dropout_keep(uint64_t seed, size_t i, uint32_t threshold) {
    uint64_t z = seed + (uint64_t(i) + 1) * 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return uint32_t(z >> 40) >= threshold;
}

static inline uint32_t dropout_threshold(float p) { return uint32_t(double(p) * double(1u << 24)); }

void dropout_forward_ref(float * out, const float * x, float p, uint64_t seed, size_t N) {
    const uint32_t threshold = dropout_threshold(p);
    const float scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) if (N >= 16384)
    for (size_t i = 0; i < N; i++) out[i] = dropout_keep(seed, i, threshold) ? x[i] * scale : 0.0f;
}

void dropout_backward_ref(float * dx, const float * dout, float p, uint64_t seed, size_t N) {
    const uint32_t threshold = dropout_threshold(p);
    const float scale = 1.0f / (1.0f - p);
#pragma omp parallel for schedule(static) if (N >= 16384)
    for (size_t i = 0; i < N; i++)
        if (dropout_keep(seed, i, threshold)) dx[i] += dout[i] * scale;
}

}  // namespace mg
