// adamw, NEON: the reference's update in 4 lanes (see ref/adamw.cpp for the math).
// param, m, v, grad (n)
#include <cmath>

#include "kernels/ref/ref.h"
#include "kernels/arm/arm.h"
#include "kernels/arm/vec-neon.h"

namespace mg {

void adamw_update_neon(float * param, float * m, float * v, const float * grad, size_t n, float lr, float beta1,
                       float beta2, float eps, float weight_decay, float grad_scale, int t) {
    const float bc1 = 1.0f - std::pow(beta1, float(t));
    const float bc2 = 1.0f - std::pow(beta2, float(t));
    const float ibc1 = 1.0f / bc1, ibc2 = 1.0f / bc2, decay = 1.0f - lr * weight_decay;
    const size_t nv = n / 4 * 4;
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < nv; i += 4) {
        float32x4_t g = vmulq_n_f32(vld1q_f32(grad + i), grad_scale);
        float32x4_t mi = vfmaq_n_f32(vmulq_n_f32(g, 1.0f - beta1), vld1q_f32(m + i), beta1);
        float32x4_t vi = vfmaq_n_f32(vmulq_n_f32(vmulq_f32(g, g), 1.0f - beta2), vld1q_f32(v + i), beta2);
        vst1q_f32(m + i, mi);
        vst1q_f32(v + i, vi);
        float32x4_t denom = vaddq_f32(vsqrtq_f32(vmulq_n_f32(vi, ibc2)), vdupq_n_f32(eps));
        float32x4_t step = vdivq_f32(vmulq_n_f32(mi, ibc1), denom);
        vst1q_f32(param + i, vfmsq_n_f32(vmulq_n_f32(vld1q_f32(param + i), decay), step, lr));
    }
    // leftovers: the reference's scalar update on the last few
    if (nv < n)
        adamw_update_ref(param + nv, m + nv, v + nv, grad + nv, n - nv, lr, beta1, beta2, eps, weight_decay, grad_scale, t);
}

}  // namespace mg
