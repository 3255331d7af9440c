// matmul, AVX2+FMA: out (N,OC) = inp (N,IC) . weight (OC,IC)^T and its two backward products,
// all on the packed GEMM of kernels/gemm.h with a 6x16 microkernel; a GEMV for the decoder's
// single rows.
#include <immintrin.h>

#include "kernels/gemm.h"
#include "kernels/x86/vec-avx2.h"
#include "kernels/x86/x86.h"

namespace mg {

// 6 rows x 16 columns: 12 accumulators + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers.
// Per k: 2 loads, 6 broadcasts, 12 FMAs, so the two FMA pipes, not the loads, set the pace.
static void micro_6x16(size_t kc, const float * a, const float * b, float * c, size_t ldc, bool accumulate) {
    __m256 acc[6][2];
#pragma GCC unroll 6
    for (int r = 0; r < 6; r++) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    // C is read back at the end: fetch its rows now, so the k loop hides the cache misses
    if (accumulate)
#pragma GCC unroll 6
        for (int r = 0; r < 6; r++) {
            _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc), _MM_HINT_T0);
            _mm_prefetch(reinterpret_cast<const char *>(c + r * ldc + 15), _MM_HINT_T0);
        }
    for (size_t k = 0; k < kc; k++) {
        const __m256 b0 = _mm256_loadu_ps(b + k * 16), b1 = _mm256_loadu_ps(b + k * 16 + 8);
#pragma GCC unroll 6
        for (int r = 0; r < 6; r++) {
            const __m256 ar = _mm256_broadcast_ss(a + k * 6 + r);
            acc[r][0] = _mm256_fmadd_ps(ar, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(ar, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < 6; r++) {
        float * cr = c + r * ldc;
        if (accumulate) {
            acc[r][0] = _mm256_add_ps(_mm256_loadu_ps(cr), acc[r][0]);
            acc[r][1] = _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc[r][1]);
        }
        _mm256_storeu_ps(cr, acc[r][0]);
        _mm256_storeu_ps(cr + 8, acc[r][1]);
    }
}

const GemmMicro gemm_micro_avx2 = {6, 16, micro_6x16};

}  // namespace mg

#define MG_VEC_DOT dot_avx2
#define MG_GEMM_MICRO gemm_micro_avx2
#define MG_MATMUL(op) matmul_##op##_avx2
#define MG_MATVEC(op) matvec_##op##_avx2
#include "kernels/matmul-simd.h"
