// encoder: token embedding plus learned position embedding.
//   out[b,t,:] = wte[inp[b,t],:] + wpe[t,:]
// out (B,T,C), inp (B,T) token ids, wte (V,C), wpe (maxT,C)
#include <cstring>

#include "kernels/ref/ref.h"

namespace mg {

void encoder_forward_ref(float * out, const int * inp, const float * wte, const float * wpe, int B, int T, int C) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            float * o = out + (size_t(b) * T + t) * C;
            const float * e = wte + size_t(inp[b * T + t]) * C;
            const float * p = wpe + size_t(t) * C;
            for (int c = 0; c < C; c++) o[c] = e[c] + p[c];
        }
    }
}

// dwte[inp[b,t]] += dout[b,t];  dwpe[t] += dout[b,t]
// Rows of dwte can repeat (same token twice), so this runs serially: it is a tiny share of a step.
void encoder_backward_ref(float * dwte, float * dwpe, const float * dout, const int * inp, int B, int T, int C) {
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            const float * d = dout + (size_t(b) * T + t) * C;
            if (dwte) {
                float * e = dwte + size_t(inp[b * T + t]) * C;
                for (int c = 0; c < C; c++) e[c] += d[c];
            }
            if (dwpe) {
                float * p = dwpe + size_t(t) * C;
                for (int c = 0; c < C; c++) p[c] += d[c];
            }
        }
    }
}

}  // namespace mg
