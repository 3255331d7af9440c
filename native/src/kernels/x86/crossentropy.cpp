// crossentropy, AVX2+FMA: kernels/crossentropy-simd.h on the helpers of vec-avx2.h.
#include "kernels/x86/x86.h"
#include "kernels/x86/vec-avx2.h"

#define MG_VEC_AXPY axpy_avx2
#define MG_VEC_SCALE scale_avx2
#define MG_VEC_EXP_SHIFT_SUM exp_shift_sum_avx2
#define MG_CROSSENTROPY(op) crossentropy_##op##_avx2
#include "kernels/crossentropy-simd.h"
