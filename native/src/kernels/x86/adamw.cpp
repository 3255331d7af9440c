// adamw, AVX2+FMA: the reference's update in 8 lanes (see ref/adamw.cpp for the math).
// param, m, v, grad (n)
#include <cmath>

#include "kernels/ref/ref.h"
#include "kernels/x86/vec-avx2.h"
#include "kernels/x86/x86.h"

namespace mg {

void adamw_update_avx2(float * param, float * m, float * v, const float * grad, size_t n, float lr, float beta1,
                       float beta2, float eps, float weight_decay, float grad_scale, int t) {
    const float bc1 = 1.0f - std::pow(beta1, float(t));
    const float bc2 = 1.0f - std::pow(beta2, float(t));
    const __m256 vgs = _mm256_set1_ps(grad_scale), vb1 = _mm256_set1_ps(beta1), vb2 = _mm256_set1_ps(beta2);
    const __m256 vb1c = _mm256_set1_ps(1.0f - beta1), vb2c = _mm256_set1_ps(1.0f - beta2);
    const __m256 vibc1 = _mm256_set1_ps(1.0f / bc1), vibc2 = _mm256_set1_ps(1.0f / bc2);
    const __m256 veps = _mm256_set1_ps(eps), vlr = _mm256_set1_ps(lr), vdecay = _mm256_set1_ps(1.0f - lr * weight_decay);
    const size_t nv = n / 8 * 8;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < nv; i += 8) {
        __m256 g = _mm256_mul_ps(_mm256_loadu_ps(grad + i), vgs);
        __m256 mi = _mm256_fmadd_ps(vb1, _mm256_loadu_ps(m + i), _mm256_mul_ps(vb1c, g));
        __m256 vi = _mm256_fmadd_ps(vb2, _mm256_loadu_ps(v + i), _mm256_mul_ps(vb2c, _mm256_mul_ps(g, g)));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        __m256 denom = _mm256_add_ps(_mm256_sqrt_ps(_mm256_mul_ps(vi, vibc2)), veps);
        __m256 step = _mm256_div_ps(_mm256_mul_ps(mi, vibc1), denom);
        _mm256_storeu_ps(param + i, _mm256_fnmadd_ps(vlr, step, _mm256_mul_ps(_mm256_loadu_ps(param + i), vdecay)));
    }
    // leftovers: the reference's scalar update on the last few
    if (nv < n)
        adamw_update_ref(param + nv, m + nv, v + nv, grad + nv, n - nv, lr, beta1, beta2, eps, weight_decay, grad_scale, t);
}

}  // namespace mg
