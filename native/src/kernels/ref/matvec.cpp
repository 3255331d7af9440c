// matvec: one row through a linear layer, for the decoder, which splits the output rows over its
// own threads (so these kernels never fork). The weight is fp32 as trained, or fp16 packed in
// row panels for bandwidth.
//   out[o] = sum_i inp[i] * weight[o,i]
// out (OC), inp (IC), weight (OC,IC)
//
// fp16 row panels: rows go in panels of kMatvecPanel, and a panel stores its rows interleaved in
// chunks of kMatvecPanel columns, zero-padded past OC and IC:
//   packed[((g * chunks + c) * 8 + r) * 8 + j] = f16(weight[8g + r, 8c + j]),  chunks = ceil(IC / 8)
// A chunk is 8 rows x 8 halves = one 128-byte step that the SIMD kernels widen and multiply by the
// same 8 inputs, one accumulator per row: the weights stream strictly in order, which is what the
// hardware prefetchers follow best (about 2x the rate of reading 8 separate rows).
#include "kernels/ref/ref.h"

namespace mg {

void matvec_forward_ref(float * out, const float * inp, const float * weight, int IC, int OC) {
    for (int o = 0; o < OC; o++) {
        const float * w = weight + size_t(o) * IC;
        float sum = 0.0f;
        for (int i = 0; i < IC; i++) sum += inp[i] * w[i];
        out[o] = sum;
    }
}

size_t matvec_f16_packed_size(int IC, int OC) {
    const size_t P = kMatvecPanel;
    return (size_t(OC) + P - 1) / P * P * ((size_t(IC) + P - 1) / P * P);
}

// packed (matvec_f16_packed_size) from weight (OC,IC) already in fp16 bits: a layout copy
void matvec_pack_f16_ref(uint16_t * packed, const uint16_t * weight, int IC, int OC) {
    const int P = kMatvecPanel, chunks = (IC + P - 1) / P;
    for (int g = 0; g * P < OC; g++)
        for (int c = 0; c < chunks; c++)
            for (int r = 0; r < P; r++)
                for (int j = 0; j < P; j++) {
                    const int o = g * P + r, i = c * P + j;
                    packed[((size_t(g) * chunks + c) * P + r) * P + j] = o < OC && i < IC ? weight[size_t(o) * IC + i] : 0;
                }
}

// packed: fp16 row panels of weight (OC,IC); each half widens to a float exactly, the sum is fp32
void matvec_forward_f16_ref(float * out, const float * inp, const uint16_t * packed, int IC, int OC) {
    const int P = kMatvecPanel, chunks = (IC + P - 1) / P;
    for (int o = 0; o < OC; o++) {
        float sum = 0.0f;
        for (int i = 0; i < IC; i++)
            sum += inp[i] * f32_from_f16_scalar(packed[((size_t(o / P) * chunks + i / P) * P + o % P) * P + i % P]);
        out[o] = sum;
    }
}

}  // namespace mg
