// attention, written once for every SIMD target: the reference's math (see ref/attention.cpp)
// as per-head GEMMs, with the softmax on vectors and, for decoding, the head-size dot products
// and axpys on vectors. An ISA file
// (x86/attention.cpp, arm/attention.cpp) defines the vector helpers and the kernel names, then
// includes this file, as ggml writes its vec.h once against its SIMD mappings.
//   MG_VEC_DOT(x, y, n)  MG_VEC_AXPY(y, a, x, n)  MG_VEC_SCALE(a, s, n)  MG_VEC_EXP_SHIFT_SUM(a, n, max)
//   MG_ATTENTION(op)     the kernel name for op = forward, backward, decode
//   MG_GEMM_MICRO        the ISA's GEMM microkernel (a GemmMicro)
// out (B,T,C), att (B,NH,T,T), qkv (B,T,3C), hs = C/NH
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/gemm.h"

namespace mg {

// Per (b,h) head the products run on the packed GEMM (kernels/gemm.h), serially inside the
// split over heads: S = Q K^T, the causal softmax in place, O = P V. Rows go in blocks of
// kCausalBlock that skip the masked keys past the block. 24 is a multiple of both microkernels'
// MR (6 and 8), so no block ends in a partial tile: 7% faster than 32 on AVX2 at T = 64 and 128.
static constexpr int kCausalBlock = 24;

void MG_ATTENTION(forward)(float * out, float * att, const float * qkv, int B, int T, int C, int NH) {
    const int hs = C / NH;
    const size_t C3 = size_t(3) * C;
    const float scale = 1.0f / std::sqrt(float(hs));
    const GemmMicro & micro = MG_GEMM_MICRO;
    // heads are independent: each thread owns whole (b,h) heads
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            const float * q = qkv + size_t(b) * T * C3 + h * hs;  // rows of stride C3
            float * a = att + (size_t(b) * NH + h) * T * T;       // (T,T)
            // causal: row block [t0, t1) needs the keys u < t1 only
            for (int t0 = 0; t0 < T; t0 += kCausalBlock) {
                const int t1 = std::min(T, t0 + kCausalBlock);
                gemm_serial(micro, a + size_t(t0) * T, T, q + t0 * C3, C3, 1, q + C, 1, C3, t1 - t0, t1, hs, false);
            }
            for (int t = 0; t < T; t++) {
                float * row = a + size_t(t) * T;
                float maxv = -INFINITY;
                for (int u = 0; u <= t; u++) maxv = row[u] > maxv ? row[u] : maxv;
                maxv *= scale;
                MG_VEC_SCALE(row, scale, t + 1);
                MG_VEC_SCALE(row, 1.0f / MG_VEC_EXP_SHIFT_SUM(row, t + 1, maxv), t + 1);
                for (int u = t + 1; u < T; u++) row[u] = 0.0f;
            }
            for (int t0 = 0; t0 < T; t0 += kCausalBlock) {
                const int t1 = std::min(T, t0 + kCausalBlock);
                gemm_serial(micro, out + (size_t(b) * T + t0) * C + h * hs, C, a + size_t(t0) * T, T, 1, q + 2 * C, C3, 1,
                     t1 - t0, hs, t1, false);
            }
        }
    }
}

// With s the pre-softmax scores, per head:
//   dP = dY V^T        dV += P^T dY
//   dS = P * (dP - rowsum(P * dP)) * scale
//   dQ += dS K         dK += dS^T Q
void MG_ATTENTION(backward)(float * dqkv, const float * dout, const float * qkv, const float * att, int B, int T,
                            int C, int NH) {
    const int hs = C / NH;
    const size_t C3 = size_t(3) * C;
    const float scale = 1.0f / std::sqrt(float(hs));
    const GemmMicro & micro = MG_GEMM_MICRO;
    // dK and dV of a position collect from every later t: each thread owns whole heads
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            thread_local std::vector<float> scratch;  // dP then dS (T,T), kept between calls
            if (scratch.size() < size_t(T) * T) scratch.resize(size_t(T) * T);
            float * ds = scratch.data();
            const float * q = qkv + size_t(b) * T * C3 + h * hs;
            const float * a = att + (size_t(b) * NH + h) * T * T;
            const float * dy = dout + size_t(b) * T * C + h * hs;
            float * dq = dqkv + size_t(b) * T * C3 + h * hs;
            for (int t0 = 0; t0 < T; t0 += kCausalBlock) {
                const int t1 = std::min(T, t0 + kCausalBlock);
                gemm_serial(micro, ds + size_t(t0) * T, T, dy + size_t(t0) * C, C, 1, q + 2 * C, 1, C3, t1 - t0, t1, hs, false);
            }
            for (int t = 0; t < T; t++) {
                const float * p = a + size_t(t) * T;
                float * d = ds + size_t(t) * T;
                const float dot = MG_VEC_DOT(p, d, t + 1);
                for (int u = 0; u <= t; u++) d[u] = p[u] * (d[u] - dot) * scale;
                for (int u = t + 1; u < T; u++) d[u] = 0.0f;
            }
            for (int t0 = 0; t0 < T; t0 += kCausalBlock) {
                const int t1 = std::min(T, t0 + kCausalBlock), n = t1 - t0;
                const size_t r0 = size_t(t0) * C3;
                // rows t of dQ take keys u < t1; rows u of dK, dV take queries t >= u, so t >= t0
                gemm_serial(micro, dq + r0, C3, ds + size_t(t0) * T, T, 1, q + C, C3, 1, n, hs, t1, true);
                gemm_serial(micro, dq + r0 + C, C3, ds + size_t(t0) * T + t0, 1, T, q + r0, C3, 1, n, hs, T - t0, true);
                gemm_serial(micro, dq + r0 + 2 * C, C3, a + size_t(t0) * T + t0, 1, T, dy + size_t(t0) * C, C, 1, n, hs, T - t0,
                     true);
            }
        }
    }
}

// One query row against the KV cache, heads [h_begin, h_end); out (C), q (C), kcache/vcache (len,C).
// Serial: the decoder gives each of its threads whole heads.
void MG_ATTENTION(decode)(float * out, const float * q, const float * kcache, const float * vcache, int len, int C,
                           int NH, int h_begin, int h_end) {
    const int hs = C / NH;
    const float scale = 1.0f / std::sqrt(float(hs));
    float a_stack[1024];
    float * a = len <= 1024 ? a_stack : new float[len];
    for (int h = h_begin; h < h_end; h++) {
        const float * qh = q + h * hs;
        float maxv = -INFINITY;
        for (int u = 0; u < len; u++) {
            float s = MG_VEC_DOT(qh, kcache + size_t(u) * C + h * hs, hs) * scale;
            a[u] = s;
            maxv = s > maxv ? s : maxv;
        }
        MG_VEC_SCALE(a, 1.0f / MG_VEC_EXP_SHIFT_SUM(a, len, maxv), len);
        float * o = out + h * hs;
        for (int i = 0; i < hs; i++) o[i] = 0.0f;
        for (int u = 0; u < len; u++) MG_VEC_AXPY(o, a[u], vcache + size_t(u) * C + h * hs, hs);
    }
    if (a != a_stack) delete[] a;
}

}  // namespace mg
