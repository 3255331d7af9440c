// Reference kernels: plain scalar C++, the truth every SIMD kernel is tested against.
// Legend: B = batch size, T = sequence length, C = channels (embed_dim), NH = heads,
// N = rows (B*T), V = vocab size, IC/OC = in/out channels of a matmul.
// Argument order follows llm.c: outputs, then saved values, then inputs, then dims.
// Every backward ACCUMULATES (+=) into its gradient outputs; a null gradient pointer means
// "this input needs no gradient" and is skipped.
#pragma once
#include <cstddef>
#include <cstdint>

namespace mg {

void encoder_forward_ref(float * out, const int * inp, const float * wte, const float * wpe, int B, int T, int C);
void encoder_backward_ref(float * dwte, float * dwpe, const float * dout, const int * inp, int B, int T, int C);

void matmul_forward_ref(float * out, const float * inp, const float * weight, size_t N, int IC, int OC);
void matmul_backward_ref(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                         size_t N, int IC, int OC);

// out (OC) = weight (OC,IC) . inp (IC) on the calling thread (the decoder's row split). The fp16
// one reads the weight packed in row panels (ref/matvec.cpp), matvec_f16_packed_size halves;
// a range of whole panels is itself a packed matrix.
inline constexpr int kMatvecPanel = 8;
void matvec_forward_ref(float * out, const float * inp, const float * weight, int IC, int OC);
size_t matvec_f16_packed_size(int IC, int OC);
void matvec_pack_f16_ref(uint16_t * packed, const uint16_t * weight, int IC, int OC);
void matvec_forward_f16_ref(float * out, const float * inp, const uint16_t * packed, int IC, int OC);

// fp16 (IEEE binary16 bits) from fp32, rounded to nearest even; the scalar conversions both ways
void f16_from_f32_ref(uint16_t * dst, const float * src, size_t n);
uint16_t f16_from_f32_scalar(float f);
float f32_from_f16_scalar(uint16_t h);

void rmsnorm_forward_ref(float * out, float * rstd, const float * inp, const float * weight, size_t N, int C);
void rmsnorm_backward_ref(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                          const float * rstd, size_t N, int C);

void attention_forward_ref(float * out, float * att, const float * qkv, int B, int T, int C, int NH);
void attention_backward_ref(float * dqkv, const float * dout, const float * qkv, const float * att, int B, int T, int C,
                            int NH);
void attention_decode_ref(float * out, const float * q, const float * kcache, const float * vcache, int len, int C,
                          int NH, int h_begin, int h_end);

void gelu_forward_ref(float * out, const float * inp, size_t N);
void gelu_backward_ref(float * dinp, const float * dout, const float * inp, size_t N);

void residual_forward_ref(float * out, const float * a, const float * b, size_t N);
void residual_backward_ref(float * da, float * db, const float * dout, size_t N);

void concat_forward_ref(float * out, const float * a, const float * b, size_t N, int CA, int CB);
void concat_backward_ref(float * da, float * db, const float * dout, size_t N, int CA, int CB);

// dropout: out = x * keep / (1 - p), the mask a pure function of (seed, index) (kernels/ref/dropout.cpp)
void dropout_forward_ref(float * out, const float * x, float p, uint64_t seed, size_t N);
void dropout_backward_ref(float * dx, const float * dout, float p, uint64_t seed, size_t N);

// A negative target (a padding row after a line that is its own sequence) has no loss and no gradient.
inline constexpr int kIgnoreTarget = -1;
void crossentropy_forward_ref(float * losses, float * probs, const float * logits, const int * targets, size_t N, int V);
void crossentropy_backward_ref(float * dlogits, const float * probs, const int * targets, float dloss, size_t N,
                               int V);

void adamw_update_ref(float * param, float * m, float * v, const float * grad, size_t n, float lr, float beta1,
                      float beta2, float eps, float weight_decay, float grad_scale, int t);

}  // namespace mg
