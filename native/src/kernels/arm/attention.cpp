// attention, NEON: kernels/attention-simd.h on the 4-lane helpers of vec-neon.h.
#include "kernels/arm/arm.h"
#include "kernels/arm/vec-neon.h"

#define MG_VEC_DOT dot_neon
#define MG_VEC_AXPY axpy_neon
#define MG_VEC_SCALE scale_neon
#define MG_VEC_EXP_SHIFT_SUM exp_shift_sum_neon
#define MG_ATTENTION(op) attention_##op##_neon
#define MG_GEMM_MICRO gemm_micro_neon
#include "kernels/attention-simd.h"
