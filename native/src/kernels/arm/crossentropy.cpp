// crossentropy, NEON: kernels/crossentropy-simd.h on the helpers of vec-neon.h.
#include "kernels/arm/arm.h"
#include "kernels/arm/vec-neon.h"

#define MG_VEC_AXPY axpy_neon
#define MG_VEC_SCALE scale_neon
#define MG_VEC_EXP_SHIFT_SUM exp_shift_sum_neon
#define MG_CROSSENTROPY(op) crossentropy_##op##_neon
#include "kernels/crossentropy-simd.h"
