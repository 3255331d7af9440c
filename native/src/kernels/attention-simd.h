// attention, written once for every SIMD target: the reference's loops (see ref/attention.cpp)
// with the head-size dot products, axpys and the softmax exponentials on vectors. An ISA file
// (x86/attention.cpp, arm/attention.cpp) defines the vector helpers and the kernel names, then
// includes this file, as ggml writes its vec.h once against its SIMD mappings.
//   MG_VEC_DOT(x, y, n)  MG_VEC_AXPY(y, a, x, n)  MG_VEC_SCALE(a, s, n)  MG_VEC_EXP_SHIFT_SUM(a, n, max)
//   MG_ATTENTION(op)     the kernel name for op = forward, backward, decode
// out (B,T,C), att (B,NH,T,T), qkv (B,T,3C), hs = C/NH
#include <cmath>

namespace mg {

void MG_ATTENTION(forward)(float * out, float * att, const float * qkv, int B, int T, int C, int NH) {
    const int hs = C / NH;
    const size_t C3 = size_t(3) * C;
    const float scale = 1.0f / std::sqrt(float(hs));
    // rows of one (b,h) are independent: split over all of them, contiguous chunks balance the triangle
#pragma omp parallel for collapse(3) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            for (int t = 0; t < T; t++) {
                const float * base = qkv + size_t(b) * T * C3 + h * hs;
                const float * q = base + size_t(t) * C3;
                float * a = att + ((size_t(b) * NH + h) * T + t) * T;
                float maxv = -INFINITY;
                for (int u = 0; u <= t; u++) {
                    float s = MG_VEC_DOT(q, base + size_t(u) * C3 + C, hs) * scale;
                    a[u] = s;
                    maxv = s > maxv ? s : maxv;
                }
                MG_VEC_SCALE(a, 1.0f / MG_VEC_EXP_SHIFT_SUM(a, t + 1, maxv), t + 1);
                for (int u = t + 1; u < T; u++) a[u] = 0.0f;
                float * o = out + (size_t(b) * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0.0f;
                for (int u = 0; u <= t; u++) MG_VEC_AXPY(o, a[u], base + size_t(u) * C3 + 2 * C, hs);
            }
        }
    }
}

void MG_ATTENTION(backward)(float * dqkv, const float * dout, const float * qkv, const float * att, int B, int T,
                             int C, int NH) {
    const int hs = C / NH;
    const size_t C3 = size_t(3) * C;
    const float scale = 1.0f / std::sqrt(float(hs));
    // dk and dv of a position collect from every later t: each thread owns whole heads
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            float ds_stack[512];
            float * ds = T <= 512 ? ds_stack : new float[T];
            const float * base = qkv + size_t(b) * T * C3 + h * hs;
            float * dbase = dqkv + size_t(b) * T * C3 + h * hs;
            for (int t = 0; t < T; t++) {
                const float * a = att + ((size_t(b) * NH + h) * T + t) * T;
                const float * dy = dout + (size_t(b) * T + t) * C + h * hs;
                const float * q = base + size_t(t) * C3;
                float * dq = dbase + size_t(t) * C3;
                float dot = 0.0f;
                for (int u = 0; u <= t; u++) {
                    float d = MG_VEC_DOT(dy, base + size_t(u) * C3 + 2 * C, hs);
                    MG_VEC_AXPY(dbase + size_t(u) * C3 + 2 * C, a[u], dy, hs);
                    ds[u] = d;
                    dot += a[u] * d;
                }
                for (int u = 0; u <= t; u++) {
                    float g = a[u] * (ds[u] - dot) * scale;
                    MG_VEC_AXPY(dq, g, base + size_t(u) * C3 + C, hs);
                    MG_VEC_AXPY(dbase + size_t(u) * C3 + C, g, q, hs);
                }
            }
            if (ds != ds_stack) delete[] ds;
        }
    }
}

// One query row against the KV cache; out (C), q (C), kcache/vcache (len,C).
// Serial: at batch 1 a head's work is a few thousand FMAs, less than a thread fork costs.
void MG_ATTENTION(decode)(float * out, const float * q, const float * kcache, const float * vcache, int len, int C,
                           int NH) {
    const int hs = C / NH;
    const float scale = 1.0f / std::sqrt(float(hs));
    float a_stack[1024];
    float * a = len <= 1024 ? a_stack : new float[len];
    for (int h = 0; h < NH; h++) {
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
