// matmul, NEON: out (N,OC) = inp (N,IC) . weight (OC,IC)^T and its two backward products, all
// on the packed GEMM of kernels/gemm.h with an 8x12 microkernel; a GEMV for the decoder's rows.
#include <arm_neon.h>

#include "kernels/arm/arm.h"
#include "kernels/arm/vec-neon.h"
#include "kernels/gemm.h"

namespace mg {

// 8 rows x 12 columns on the Cortex-A76: 24 accumulators + 2 A vectors + 3 B vectors of the 32
// q registers. Each k step loads 5 vectors for 24 FMAs; vfmaq_laneq_f32 takes the A value
// straight from its lane, so no broadcasts are spent.
static void micro_8x12(size_t kc, const float * a, const float * b, float * c, size_t ldc, bool accumulate) {
    float32x4_t acc[8][3];
    for (int r = 0; r < 8; r++) acc[r][0] = acc[r][1] = acc[r][2] = vdupq_n_f32(0.0f);
    // C is read back at the end: fetch its rows now, so the k loop hides the cache misses
    if (accumulate)
        for (int r = 0; r < 8; r++) {
            __builtin_prefetch(c + r * ldc);
            __builtin_prefetch(c + r * ldc + 11);
        }
    for (size_t k = 0; k < kc; k++) {
        const float32x4_t a0 = vld1q_f32(a + k * 8), a1 = vld1q_f32(a + k * 8 + 4);
        const float32x4_t b0 = vld1q_f32(b + k * 12), b1 = vld1q_f32(b + k * 12 + 4), b2 = vld1q_f32(b + k * 12 + 8);
#define MG_ROW(r, av, lane)                                   \
    acc[r][0] = vfmaq_laneq_f32(acc[r][0], b0, av, lane);     \
    acc[r][1] = vfmaq_laneq_f32(acc[r][1], b1, av, lane);     \
    acc[r][2] = vfmaq_laneq_f32(acc[r][2], b2, av, lane);
        MG_ROW(0, a0, 0) MG_ROW(1, a0, 1) MG_ROW(2, a0, 2) MG_ROW(3, a0, 3)
        MG_ROW(4, a1, 0) MG_ROW(5, a1, 1) MG_ROW(6, a1, 2) MG_ROW(7, a1, 3)
#undef MG_ROW
    }
    for (int r = 0; r < 8; r++) {
        float * cr = c + r * ldc;
        for (int j = 0; j < 3; j++) {
            float32x4_t v = accumulate ? vaddq_f32(vld1q_f32(cr + 4 * j), acc[r][j]) : acc[r][j];
            vst1q_f32(cr + 4 * j, v);
        }
    }
}

const GemmMicro gemm_micro_neon = {8, 12, micro_8x12};

}  // namespace mg

#define MG_VEC_DOT dot_neon
#define MG_GEMM_MICRO gemm_micro_neon
#define MG_MATMUL(op) matmul_##op##_neon
#define MG_MATVEC(op) matvec_##op##_neon
#include "kernels/matmul-simd.h"
