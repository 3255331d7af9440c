// gelu (tanh approximation), AVX2+FMA: tanh through the 8-lane exp of vec-avx2.h.
// out, inp (N)
#include "kernels/x86/vec-avx2.h"
#include "kernels/x86/x86.h"

namespace mg {

static constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2/pi)
static constexpr float kGeluCube = 0.044715f;
static constexpr size_t kGeluChunk = 4096;  // elements per thread task; one chunk (a decoder row) runs unforked

// u = k (x + 0.044715 x^3)
static inline __m256 gelu_arg(__m256 x) {
    __m256 x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    return _mm256_mul_ps(_mm256_set1_ps(kGeluScale), _mm256_fmadd_ps(_mm256_set1_ps(kGeluCube), x3, x));
}

void gelu_forward_avx2(float * out, const float * inp, size_t N) {
    const size_t nv = N / 8 * 8;
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    auto chunk = [&](size_t c) {
        for (size_t i = c; i < c + kGeluChunk && i < nv; i += 8) {
            __m256 x = _mm256_loadu_ps(inp + i);
            __m256 th = tanh_avx2(gelu_arg(x));
            _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, th)));
        }
    };
    if (nv <= kGeluChunk) {
        chunk(0);  // a decoder row runs inside the decoder's region: even an inactive nested one costs ~0.5 us
    } else {
        // split over chunks of whole vectors, so a chunk boundary never splits one
#pragma omp parallel for schedule(static)
        for (size_t c = 0; c < nv; c += kGeluChunk) chunk(c);
    }
    // leftovers: one padded vector through the same code
    if (nv < N) {
        alignas(32) float x[8] = {0}, y[8];
        for (size_t i = nv; i < N; i++) x[i - nv] = inp[i];
        __m256 vx = _mm256_load_ps(x);
        _mm256_store_ps(y, _mm256_mul_ps(_mm256_mul_ps(half, vx), _mm256_add_ps(one, tanh_avx2(gelu_arg(vx)))));
        for (size_t i = nv; i < N; i++) out[i] = y[i - nv];
    }
}

// dinp += dout * (0.5 (1 + th) + 0.5 x (1 - th^2) k (1 + 3 * 0.044715 x^2)),  th = tanh(u)
static inline __m256 gelu_grad(__m256 x) {
    const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
    __m256 th = tanh_avx2(gelu_arg(x));
    __m256 sech2 = _mm256_fnmadd_ps(th, th, one);
    __m256 du = _mm256_mul_ps(_mm256_set1_ps(kGeluScale),
                              _mm256_fmadd_ps(_mm256_set1_ps(3.0f * kGeluCube), _mm256_mul_ps(x, x), one));
    return _mm256_fmadd_ps(_mm256_mul_ps(_mm256_mul_ps(half, x), sech2), du, _mm256_mul_ps(half, _mm256_add_ps(one, th)));
}

void gelu_backward_avx2(float * dinp, const float * dout, const float * inp, size_t N) {
    const size_t nv = N / 8 * 8;
#pragma omp parallel for schedule(static) if (nv > kGeluChunk)
    for (size_t c = 0; c < nv; c += kGeluChunk) {
        for (size_t i = c; i < c + kGeluChunk && i < nv; i += 8) {
            __m256 g = gelu_grad(_mm256_loadu_ps(inp + i));
            _mm256_storeu_ps(dinp + i, _mm256_fmadd_ps(g, _mm256_loadu_ps(dout + i), _mm256_loadu_ps(dinp + i)));
        }
    }
    // leftovers
    if (nv < N) {
        alignas(32) float x[8] = {0}, g[8];
        for (size_t i = nv; i < N; i++) x[i - nv] = inp[i];
        _mm256_store_ps(g, gelu_grad(_mm256_load_ps(x)));
        for (size_t i = nv; i < N; i++) dinp[i] += g[i - nv] * dout[i];
    }
}

}  // namespace mg
