// attention: causal multi-head self-attention over a packed qkv.
//   q,k,v = qkv[b,t, 0:C], qkv[b,t, C:2C], qkv[b,t, 2C:3C]; head h uses channels [h*hs, (h+1)*hs)
//   att[b,h,t,u] = softmax_u<=t( q[b,t,h] . k[b,u,h] / sqrt(hs) )      (zero for u > t)
//   out[b,t,h]   = sum_u att[b,h,t,u] * v[b,u,h]
// out (B,T,C), att (B,NH,T,T) saved for backward, qkv (B,T,3C), hs = C/NH
#include <cmath>

#include "kernels/ref/ref.h"

namespace mg {

void attention_forward_ref(float * out, float * att, const float * qkv, int B, int T, int C, int NH) {
    const int hs = C / NH;
    const size_t C3 = size_t(3) * C;
    const float scale = 1.0f / std::sqrt(float(hs));
#pragma omp parallel for collapse(3) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            for (int t = 0; t < T; t++) {
                const float * q = qkv + (size_t(b) * T + t) * C3 + h * hs;
                float * a = att + ((size_t(b) * NH + h) * T + t) * T;
                float maxv = -INFINITY;
                for (int u = 0; u <= t; u++) {
                    const float * k = qkv + (size_t(b) * T + u) * C3 + C + h * hs;
                    float s = 0.0f;
                    for (int i = 0; i < hs; i++) s += q[i] * k[i];
                    s *= scale;
                    a[u] = s;
                    if (s > maxv) maxv = s;
                }
                float sum = 0.0f;
                for (int u = 0; u <= t; u++) {
                    a[u] = std::exp(a[u] - maxv);
                    sum += a[u];
                }
                float inv = 1.0f / sum;
                for (int u = 0; u <= t; u++) a[u] *= inv;
                for (int u = t + 1; u < T; u++) a[u] = 0.0f;
                float * o = out + (size_t(b) * T + t) * C + h * hs;
                for (int i = 0; i < hs; i++) o[i] = 0.0f;
                for (int u = 0; u <= t; u++) {
                    const float * v = qkv + (size_t(b) * T + u) * C3 + 2 * C + h * hs;
                    for (int i = 0; i < hs; i++) o[i] += a[u] * v[i];
                }
            }
        }
    }
}

// With s the pre-softmax scores:
//   datt[t,u] = dout[t] . v[u]                 dv[u] += att[t,u] * dout[t]
//   ds[t,u]   = att[t,u] * (datt[t,u] - sum_w att[t,w] * datt[t,w])
//   dq[t]    += scale * sum_u ds[t,u] * k[u]   dk[u] += scale * ds[t,u] * q[t]
// dk and dv of a position collect from every later t, so the loop is split over (b,h) only:
// each thread owns whole heads and the sums run in a fixed order.
void attention_backward_ref(float * dqkv, const float * dout, const float * qkv, const float * att, int B, int T, int C,
                            int NH) {
    const int hs = C / NH;
    const size_t C3 = size_t(3) * C;
    const float scale = 1.0f / std::sqrt(float(hs));
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            float ds_stack[512];
            float * ds = T <= 512 ? ds_stack : new float[T];
            for (int t = 0; t < T; t++) {
                const float * a = att + ((size_t(b) * NH + h) * T + t) * T;
                const float * dy = dout + (size_t(b) * T + t) * C + h * hs;
                const float * q = qkv + (size_t(b) * T + t) * C3 + h * hs;
                float * dq = dqkv + (size_t(b) * T + t) * C3 + h * hs;
                float dot = 0.0f;
                for (int u = 0; u <= t; u++) {
                    const float * v = qkv + (size_t(b) * T + u) * C3 + 2 * C + h * hs;
                    float * dv = dqkv + (size_t(b) * T + u) * C3 + 2 * C + h * hs;
                    float d = 0.0f;
                    for (int i = 0; i < hs; i++) {
                        d += dy[i] * v[i];
                        dv[i] += a[u] * dy[i];
                    }
                    ds[u] = d;
                    dot += a[u] * d;
                }
                for (int u = 0; u <= t; u++) {
                    float g = a[u] * (ds[u] - dot) * scale;
                    const float * k = qkv + (size_t(b) * T + u) * C3 + C + h * hs;
                    float * dk = dqkv + (size_t(b) * T + u) * C3 + C + h * hs;
                    for (int i = 0; i < hs; i++) {
                        dq[i] += g * k[i];
                        dk[i] += g * q[i];
                    }
                }
            }
            if (ds != ds_stack) delete[] ds;
        }
    }
}

// attention_decode: one new query against a KV cache, for incremental generation.
// out (C), q (C), kcache (len,C), vcache (len,C): the same math as the forward for row t = len-1,
// for heads [h_begin, h_end) of NH only (the decoder splits the heads over its threads).
void attention_decode_ref(float * out, const float * q, const float * kcache, const float * vcache, int len, int C,
                          int NH, int h_begin, int h_end) {
    const int hs = C / NH;
    const float scale = 1.0f / std::sqrt(float(hs));
    float a_stack[1024];
    float * a = len <= 1024 ? a_stack : new float[len];
    for (int h = h_begin; h < h_end; h++) {
        const float * qh = q + h * hs;
        float maxv = -INFINITY;
        for (int u = 0; u < len; u++) {
            const float * k = kcache + size_t(u) * C + h * hs;
            float s = 0.0f;
            for (int i = 0; i < hs; i++) s += qh[i] * k[i];
            s *= scale;
            a[u] = s;
            if (s > maxv) maxv = s;
        }
        float sum = 0.0f;
        for (int u = 0; u < len; u++) {
            a[u] = std::exp(a[u] - maxv);
            sum += a[u];
        }
        float inv = 1.0f / sum;
        float * o = out + h * hs;
        for (int i = 0; i < hs; i++) o[i] = 0.0f;
        for (int u = 0; u < len; u++) {
            const float * v = vcache + size_t(u) * C + h * hs;
            float w = a[u] * inv;
            for (int i = 0; i < hs; i++) o[i] += w * v[i];
        }
    }
    if (a != a_stack) delete[] a;
}

}  // namespace mg
