// The kernels the engine calls, each bound at compile time to the best implementation for the
// target: NEON on arm64, AVX2+FMA on x86-64, else the scalar reference. This is the only file
// that tests the target's instruction set.
#pragma once
#include "kernels/ref/ref.h"

#if defined(__ARM_NEON) && defined(__aarch64__)
#include "kernels/arm/arm.h"
#define MG_KERNELS_ISA "NEON"
#define MG_KERNEL(op) op##_neon
#elif defined(__AVX2__) && defined(__FMA__)
#include "kernels/x86/x86.h"
#define MG_KERNELS_ISA "AVX2+FMA"
#define MG_KERNEL(op) op##_avx2
#else
#define MG_KERNELS_ISA "scalar"
#define MG_KERNEL(op) op##_ref
#endif

namespace mg {

inline constexpr auto encoder_forward = encoder_forward_ref;  // a gather: memory-bound, tiny
inline constexpr auto encoder_backward = encoder_backward_ref;
inline constexpr auto matmul_forward = MG_KERNEL(matmul_forward);
inline constexpr auto matmul_backward = MG_KERNEL(matmul_backward);
// the decoder's: one row on the calling thread, on fp32 weights or fp16 row panels
inline constexpr auto matvec_forward = MG_KERNEL(matvec_forward);
inline constexpr auto matvec_forward_f16 = MG_KERNEL(matvec_forward_f16);
inline constexpr auto f16_from_f32 = MG_KERNEL(f16_from_f32);
inline constexpr auto matvec_pack_f16 = matvec_pack_f16_ref;  // a layout copy, once per decoder
inline constexpr auto rmsnorm_forward = MG_KERNEL(rmsnorm_forward);
inline constexpr auto rmsnorm_backward = MG_KERNEL(rmsnorm_backward);
inline constexpr auto attention_forward = MG_KERNEL(attention_forward);
inline constexpr auto attention_backward = MG_KERNEL(attention_backward);
inline constexpr auto attention_decode = MG_KERNEL(attention_decode);
inline constexpr auto gelu_forward = MG_KERNEL(gelu_forward);
inline constexpr auto gelu_backward = MG_KERNEL(gelu_backward);
// elementwise sums and copies: the compiler vectorises the reference loops on its own
inline constexpr auto residual_forward = residual_forward_ref;
inline constexpr auto residual_backward = residual_backward_ref;
inline constexpr auto concat_forward = concat_forward_ref;
inline constexpr auto concat_backward = concat_backward_ref;
inline constexpr auto dropout_forward = dropout_forward_ref;  // a hash and a multiply per element, training only
inline constexpr auto dropout_backward = dropout_backward_ref;
inline constexpr auto crossentropy_forward = MG_KERNEL(crossentropy_forward);
inline constexpr auto crossentropy_backward = MG_KERNEL(crossentropy_backward);
inline constexpr auto adamw_update = MG_KERNEL(adamw_update);

}  // namespace mg
