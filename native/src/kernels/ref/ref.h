// Reference kernels: plain scalar C++, the truth every SIMD kernel is tested against.
// Legend: B = batch size, T = sequence length, C = channels (embed_dim), NH = heads,
// N = rows (B*T), V = vocab size, IC/OC = in/out channels of a matmul.
// Argument order follows llm.c: outputs, then saved values, then inputs, then dims.
// Every backward ACCUMULATES (+=) into its gradient outputs; a null gradient pointer means
// "this input needs no gradient" and is skipped.
#pragma once
#include <cstddef>

namespace mg {

void encoder_forward_ref(float * out, const int * inp, const float * wte, const float * wpe, int B, int T, int C);
void encoder_backward_ref(float * dwte, float * dwpe, const float * dout, const int * inp, int B, int T, int C);

void matmul_forward_ref(float * out, const float * inp, const float * weight, size_t N, int IC, int OC);
void matmul_backward_ref(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                         size_t N, int IC, int OC);

void rmsnorm_forward_ref(float * out, float * rstd, const float * inp, const float * weight, size_t N, int C);
void rmsnorm_backward_ref(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                          const float * rstd, size_t N, int C);

void attention_forward_ref(float * out, float * att, const float * qkv, int B, int T, int C, int NH);
void attention_backward_ref(float * dqkv, const float * dout, const float * qkv, const float * att, int B, int T, int C,
                            int NH);
void attention_decode_ref(float * out, const float * q, const float * kcache, const float * vcache, int len, int C,
                          int NH);

void gelu_forward_ref(float * out, const float * inp, size_t N);
void gelu_backward_ref(float * dinp, const float * dout, const float * inp, size_t N);

void residual_forward_ref(float * out, const float * a, const float * b, size_t N);
void residual_backward_ref(float * da, float * db, const float * dout, size_t N);

void concat_forward_ref(float * out, const float * a, const float * b, size_t N, int CA, int CB);
void concat_backward_ref(float * da, float * db, const float * dout, size_t N, int CA, int CB);

void crossentropy_forward_ref(float * losses, float * probs, const float * logits, const int * targets, size_t N, int V);
void crossentropy_backward_ref(float * dlogits, const float * probs, const int * targets, float dloss, size_t N,
                               int V);

void adamw_update_ref(float * param, float * m, float * v, const float * grad, size_t n, float lr, float beta1,
                      float beta2, float eps, float weight_decay, float grad_scale, int t);

}  // namespace mg
