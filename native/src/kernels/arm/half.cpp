// half, NEON: the decoder's fp16 weights (the widening, FCVTL, is base ARMv8 Advanced SIMD).
//   f16_from_f32      dst (n) fp16 bits from src (n), rounded to nearest even like the reference
//                     (the FPCR's default mode)
//   matvec_forward_f16 out (OC) = W (OC,IC) . inp (IC), W in fp16 row panels (ref/matvec.cpp)
#include "kernels/arm/arm.h"
#include "kernels/arm/vec-neon.h"
#include "kernels/ref/ref.h"

namespace mg {

void f16_from_f32_neon(uint16_t * dst, const float * src, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) vst1_u16(dst + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(src + i))));
    // leftovers: one padded vector through the same instruction
    if (i < n) {
        float x[4] = {0, 0, 0, 0};
        uint16_t h[4];
        for (size_t j = i; j < n; j++) x[j - i] = src[j];
        vst1_u16(h, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(x))));
        for (size_t j = i; j < n; j++) dst[j] = h[j - i];
    }
}

// lo[r] += x0 * (row r's first 4 halves), hi[r] += x1 * (its last 4), widened
static inline void panel_step(float32x4_t * lo, float32x4_t * hi, float32x4_t x0, float32x4_t x1, const uint16_t * chunk) {
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) {
        const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(chunk + r * 8));
        lo[r] = vfmaq_f32(lo[r], x0, vcvt_f32_f16(vget_low_f16(h)));
        hi[r] = vfmaq_f32(hi[r], x1, vcvt_high_f32_f16(h));
    }
}

// Per panel, 16 accumulators (two per row: independent FMA chains cover the latency) take one
// 128-byte chunk per step. Every row sums in the same order, whichever panel or thread it is in.
void matvec_forward_f16_neon(float * out, const float * inp, const uint16_t * packed, int IC, int OC) {
    static_assert(kMatvecPanel == 8, "a chunk row is two 4-lane vectors");
    const int chunks = (IC + 7) / 8, full = IC / 8;
    float tail[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // inp's last partial chunk, zero-padded like the panel
    for (int i = full * 8; i < IC; i++) tail[i - full * 8] = inp[i];
    for (int o = 0; o < OC; o += 8) {
        const uint16_t * p = packed + size_t(o / 8) * chunks * 64;
        float32x4_t lo[8], hi[8];
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) lo[r] = hi[r] = vdupq_n_f32(0.0f);
        for (int c = 0; c < full; c++)
            panel_step(lo, hi, vld1q_f32(inp + c * 8), vld1q_f32(inp + c * 8 + 4), p + size_t(c) * 64);
        // leftovers
        if (full < chunks) panel_step(lo, hi, vld1q_f32(tail), vld1q_f32(tail + 4), p + size_t(full) * 64);
        const int rows = OC - o < 8 ? OC - o : 8;
        for (int r = 0; r < rows; r++) out[o + r] = vaddvq_f32(vaddq_f32(lo[r], hi[r]));
    }
}

}  // namespace mg
