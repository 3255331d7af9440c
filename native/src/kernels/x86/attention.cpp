// attention, AVX2+FMA: kernels/attention-simd.h on the 8-lane helpers of vec-avx2.h.
#include "kernels/x86/vec-avx2.h"
#include "kernels/x86/x86.h"

#define MG_VEC_DOT dot_avx2
#define MG_VEC_AXPY axpy_avx2
#define MG_VEC_SCALE scale_avx2
#define MG_VEC_EXP_SHIFT_SUM exp_shift_sum_avx2
#define MG_ATTENTION(op) attention_##op##_avx2
#define MG_GEMM_MICRO gemm_micro_avx2
#include "kernels/attention-simd.h"
