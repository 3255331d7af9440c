// NEON building blocks shared by the arm64 kernels: 4-lane dot, axpy and exp.
#pragma once
#include <arm_neon.h>

#include <cstddef>

namespace mg {

// sum_i x[i] * y[i]
inline float dot_neon(const float * x, const float * y, size_t n) {
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 = vfmaq_f32(s0, vld1q_f32(x + i), vld1q_f32(y + i));
        s1 = vfmaq_f32(s1, vld1q_f32(x + i + 4), vld1q_f32(y + i + 4));
        s2 = vfmaq_f32(s2, vld1q_f32(x + i + 8), vld1q_f32(y + i + 8));
        s3 = vfmaq_f32(s3, vld1q_f32(x + i + 12), vld1q_f32(y + i + 12));
    }
    for (; i + 4 <= n; i += 4) s0 = vfmaq_f32(s0, vld1q_f32(x + i), vld1q_f32(y + i));
    float s = vaddvq_f32(vaddq_f32(vaddq_f32(s0, s1), vaddq_f32(s2, s3)));
    // leftovers
    for (; i < n; i++) s += x[i] * y[i];
    return s;
}

// y[i] += a * x[i]
inline void axpy_neon(float * y, float a, const float * x, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), a));
    // leftovers
    for (; i < n; i++) y[i] += a * x[i];
}

// a[i] *= s
inline void scale_neon(float * a, float s, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1q_f32(a + i, vmulq_n_f32(vld1q_f32(a + i), s));
    // leftovers
    for (; i < n; i++) a[i] *= s;
}

// e^x, Cephes' single-precision polynomial (about 2 ulp); inputs clamped to [-88.4, 88.4]
inline float32x4_t exp_neon(float32x4_t x) {
    x = vminq_f32(vmaxq_f32(x, vdupq_n_f32(-88.3762626647949f)), vdupq_n_f32(88.3762626647949f));
    float32x4_t fx = vrndmq_f32(vfmaq_f32(vdupq_n_f32(0.5f), x, vdupq_n_f32(1.44269504088896341f)));
    x = vfmsq_f32(x, fx, vdupq_n_f32(0.693359375f));
    x = vfmsq_f32(x, fx, vdupq_n_f32(-2.12194440e-4f));
    float32x4_t y = vdupq_n_f32(1.9875691500e-4f);
    y = vfmaq_f32(vdupq_n_f32(1.3981999507e-3f), y, x);
    y = vfmaq_f32(vdupq_n_f32(8.3334519073e-3f), y, x);
    y = vfmaq_f32(vdupq_n_f32(4.1665795894e-2f), y, x);
    y = vfmaq_f32(vdupq_n_f32(1.6666665459e-1f), y, x);
    y = vfmaq_f32(vdupq_n_f32(5.0000001201e-1f), y, x);
    y = vfmaq_f32(vaddq_f32(x, vdupq_n_f32(1.0f)), y, vmulq_f32(x, x));
    int32x4_t e = vshlq_n_s32(vaddq_s32(vcvtq_s32_f32(fx), vdupq_n_s32(127)), 23);
    return vmulq_f32(y, vreinterpretq_f32_s32(e));
}

// tanh(u) = 1 - 2 / (e^{2u} + 1): saturates cleanly to +-1 where e^{2u} over- or underflows
inline float32x4_t tanh_neon(float32x4_t u) {
    float32x4_t e = exp_neon(vaddq_f32(u, u));
    return vsubq_f32(vdupq_n_f32(1.0f), vdivq_f32(vdupq_n_f32(2.0f), vaddq_f32(e, vdupq_n_f32(1.0f))));
}

// a[i] = e^(a[i] - maxv) for i < n; returns the sum (the softmax denominator)
inline float exp_shift_sum_neon(float * a, size_t n, float maxv) {
    const float32x4_t vm = vdupq_n_f32(maxv);
    float32x4_t vs = vdupq_n_f32(0.0f);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t e = exp_neon(vsubq_f32(vld1q_f32(a + i), vm));
        vst1q_f32(a + i, e);
        vs = vaddq_f32(vs, e);
    }
    float s = vaddvq_f32(vs);
    // leftovers: through the same exp, so a row's values do not depend on where it ends
    if (i < n) {
        float tail[4] = {0, 0, 0, 0};
        for (size_t j = i; j < n; j++) tail[j - i] = a[j] - maxv;
        vst1q_f32(tail, exp_neon(vld1q_f32(tail)));
        for (size_t j = i; j < n; j++) s += (a[j] = tail[j - i]);
    }
    return s;
}

}  // namespace mg
