// AVX2+FMA building blocks shared by the x86 kernels: 8-lane dot, axpy, horizontal sum and exp.
#pragma once
#include <immintrin.h>

#include <cstddef>

namespace mg {

inline float hsum_avx2(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// sum_i x[i] * y[i]
inline float dot_avx2(const float * x, const float * y, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), s1);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), s0);
    float s = hsum_avx2(_mm256_add_ps(s0, s1));
    // leftovers
    for (; i < n; i++) s += x[i] * y[i];
    return s;
}

// y[i] += a * x[i]
inline void axpy_avx2(float * y, float a, const float * x, size_t n) {
    const __m256 va = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    // leftovers
    for (; i < n; i++) y[i] += a * x[i];
}

// e^x, Cephes' single-precision polynomial (about 2 ulp); inputs clamped to [-88.4, 88.4]
inline __m256 exp_avx2(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-88.3762626647949f)), _mm256_set1_ps(88.3762626647949f));
    __m256 fx = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(fx), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// tanh(u) = 1 - 2 / (e^{2u} + 1): saturates cleanly to +-1 where e^{2u} over- or underflows
inline __m256 tanh_avx2(__m256 u) {
    __m256 e = exp_avx2(_mm256_add_ps(u, u));
    return _mm256_sub_ps(_mm256_set1_ps(1.0f), _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, _mm256_set1_ps(1.0f))));
}

// a[i] = e^(a[i] - maxv) for i < n; returns the sum (the softmax denominator)
inline float exp_shift_sum_avx2(float * a, size_t n, float maxv) {
    const __m256 vm = _mm256_set1_ps(maxv);
    __m256 vs = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(a + i), vm));
        _mm256_storeu_ps(a + i, e);
        vs = _mm256_add_ps(vs, e);
    }
    float s = hsum_avx2(vs);
    // leftovers: through the same exp, so a row's values do not depend on where it ends
    if (i < n) {
        alignas(32) float tail[8] = {0};
        for (size_t j = i; j < n; j++) tail[j - i] = a[j] - maxv;
        _mm256_store_ps(tail, exp_avx2(_mm256_load_ps(tail)));
        for (size_t j = i; j < n; j++) s += (a[j] = tail[j - i]);
    }
    return s;
}

// a[i] *= s
inline void scale_avx2(float * a, float s, size_t n) {
    const __m256 vs = _mm256_set1_ps(s);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(a + i, _mm256_mul_ps(_mm256_loadu_ps(a + i), vs));
    // leftovers
    for (; i < n; i++) a[i] *= s;
}

}  // namespace mg
