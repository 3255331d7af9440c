// gelu (tanh approximation), NEON: tanh through the 4-lane exp of vec-neon.h.
// out, inp (N)
#include "kernels/arm/arm.h"
#include "kernels/arm/vec-neon.h"

namespace mg {

static constexpr float kGeluScale = 0.7978845608028654f;  // sqrt(2/pi)
static constexpr float kGeluCube = 0.044715f;
static constexpr size_t kGeluChunk = 4096;  // elements per thread task; one chunk (a decoder row) runs unforked

// u = k (x + 0.044715 x^3)
static inline float32x4_t gelu_arg(float32x4_t x) {
    float32x4_t x3 = vmulq_f32(vmulq_f32(x, x), x);
    return vmulq_n_f32(vfmaq_n_f32(x, x3, kGeluCube), kGeluScale);
}

static inline float32x4_t gelu_value(float32x4_t x) {
    float32x4_t th = tanh_neon(gelu_arg(x));
    return vmulq_f32(vmulq_n_f32(x, 0.5f), vaddq_f32(vdupq_n_f32(1.0f), th));
}

// d/dx = 0.5 (1 + th) + 0.5 x (1 - th^2) k (1 + 3 * 0.044715 x^2),  th = tanh(u)
static inline float32x4_t gelu_grad(float32x4_t x) {
    const float32x4_t one = vdupq_n_f32(1.0f);
    float32x4_t th = tanh_neon(gelu_arg(x));
    float32x4_t sech2 = vfmsq_f32(one, th, th);
    float32x4_t du = vmulq_n_f32(vfmaq_n_f32(one, vmulq_f32(x, x), 3.0f * kGeluCube), kGeluScale);
    return vfmaq_f32(vmulq_n_f32(vaddq_f32(one, th), 0.5f), vmulq_f32(vmulq_n_f32(x, 0.5f), sech2), du);
}

void gelu_forward_neon(float * out, const float * inp, size_t N) {
    const size_t nv = N / 4 * 4;
    auto chunk = [&](size_t c) {
        for (size_t i = c; i < c + kGeluChunk && i < nv; i += 4) vst1q_f32(out + i, gelu_value(vld1q_f32(inp + i)));
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
        float x[4] = {0, 0, 0, 0}, y[4];
        for (size_t i = nv; i < N; i++) x[i - nv] = inp[i];
        vst1q_f32(y, gelu_value(vld1q_f32(x)));
        for (size_t i = nv; i < N; i++) out[i] = y[i - nv];
    }
}

void gelu_backward_neon(float * dinp, const float * dout, const float * inp, size_t N) {
    const size_t nv = N / 4 * 4;
#pragma omp parallel for schedule(static) if (nv > kGeluChunk)
    for (size_t c = 0; c < nv; c += kGeluChunk)
        for (size_t i = c; i < c + kGeluChunk && i < nv; i += 4)
            vst1q_f32(dinp + i, vfmaq_f32(vld1q_f32(dinp + i), gelu_grad(vld1q_f32(inp + i)), vld1q_f32(dout + i)));
    // leftovers
    if (nv < N) {
        float x[4] = {0, 0, 0, 0}, g[4];
        for (size_t i = nv; i < N; i++) x[i - nv] = inp[i];
        vst1q_f32(g, gelu_grad(vld1q_f32(x)));
        for (size_t i = nv; i < N; i++) dinp[i] += g[i - nv] * dout[i];
    }
}

}  // namespace mg
