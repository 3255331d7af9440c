// The kernels the engine calls, each bound at compile time to the best implementation for the
// target: NEON on arm64, AVX2+FMA on x86-64, else the scalar reference. This is the only file
// that tests the target's instruction set.
#pragma once
#include "kernels/ref/ref.h"

#if defined(__ARM_NEON)
#define MG_KERNELS_ISA "scalar (NEON kernels pending)"
#elif defined(__AVX2__) && defined(__FMA__)
#define MG_KERNELS_ISA "scalar (AVX2 kernels pending)"
#else
#define MG_KERNELS_ISA "scalar"
#endif

namespace mg {

inline constexpr auto encoder_forward = encoder_forward_ref;
inline constexpr auto encoder_backward = encoder_backward_ref;
inline constexpr auto matmul_forward = matmul_forward_ref;
inline constexpr auto matmul_backward = matmul_backward_ref;
inline constexpr auto rmsnorm_forward = rmsnorm_forward_ref;
inline constexpr auto rmsnorm_backward = rmsnorm_backward_ref;
inline constexpr auto attention_forward = attention_forward_ref;
inline constexpr auto attention_backward = attention_backward_ref;
inline constexpr auto attention_decode = attention_decode_ref;
inline constexpr auto gelu_forward = gelu_forward_ref;
inline constexpr auto gelu_backward = gelu_backward_ref;
inline constexpr auto residual_forward = residual_forward_ref;
inline constexpr auto residual_backward = residual_backward_ref;
inline constexpr auto concat_forward = concat_forward_ref;
inline constexpr auto concat_backward = concat_backward_ref;
inline constexpr auto crossentropy_forward = crossentropy_forward_ref;
inline constexpr auto crossentropy_backward = crossentropy_backward_ref;
inline constexpr auto adamw_update = adamw_update_ref;

}  // namespace mg
