// NEON kernels for arm64 (the Pi 5's Cortex-A76): the signatures of kernels/ref/ref.h, named <op>_neon.
// dispatch.h binds them when the build targets arm64; they are tested against the
// reference kernels in tests/test-kernels.cpp.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/gemm.h"

namespace mg {

extern const GemmMicro gemm_micro_neon;  // the matmul microkernel, for the GEMMs inside attention

void matmul_forward_neon(float * out, const float * inp, const float * weight, size_t N, int IC, int OC);
void matmul_backward_neon(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                          size_t N, int IC, int OC);

// the decoder's kernels: one row on the calling thread; fp16 weights in row panels (ref/matvec.cpp)
// widen to fp32 in registers
void matvec_forward_neon(float * out, const float * inp, const float * weight, int IC, int OC);
void matvec_forward_f16_neon(float * out, const float * inp, const uint16_t * packed, int IC, int OC);
void f16_from_f32_neon(uint16_t * dst, const float * src, size_t n);

void rmsnorm_forward_neon(float * out, float * rstd, const float * inp, const float * weight, size_t N, int C);
void rmsnorm_backward_neon(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                           const float * rstd, size_t N, int C);

void attention_forward_neon(float * out, float * att, const float * qkv, int B, int T, int C, int NH);
void attention_backward_neon(float * dqkv, const float * dout, const float * qkv, const float * att, int B, int T,
                             int C, int NH);
void attention_decode_neon(float * out, const float * q, const float * kcache, const float * vcache, int len, int C,
                           int NH, int h_begin, int h_end);

void gelu_forward_neon(float * out, const float * inp, size_t N);
void gelu_backward_neon(float * dinp, const float * dout, const float * inp, size_t N);

void crossentropy_forward_neon(float * losses, float * probs, const float * logits, const int * targets, size_t N,
                               int V);
void crossentropy_backward_neon(float * dlogits, const float * probs, const int * targets, float dloss, size_t N,
                                int V);

void adamw_update_neon(float * param, float * m, float * v, const float * grad, size_t n, float lr, float beta1,
                       float beta2, float eps, float weight_decay, float grad_scale, int t);

}  // namespace mg
