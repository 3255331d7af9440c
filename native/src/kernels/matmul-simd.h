// matmul, written once for every SIMD target (see attention-simd.h for the scheme): the three
// products of a linear layer on the packed GEMM with the ISA's microkernel, a GEMV for a few
// rows, and the decoder's serial fp32 matvec. The ISA file defines
//   MG_VEC_DOT(x, y, n)  MG_GEMM_MICRO (a GemmMicro)  MG_MATMUL(op) for op = forward, backward
//   MG_MATVEC(op) for op = forward
// out (N,OC), inp (N,IC), weight (OC,IC)
#include "kernels/gemm.h"

namespace mg {

// Below this many rows the packing does not pay: each output is a dot product of two
// contiguous rows, streamed once (the decoder's batch-1 step is memory-bound).
static constexpr size_t kGemvRows = 4;

#define MG_GEMV MG_MATMUL(gemv)
static void MG_GEMV(float * y, const float * x, const float * w, int IC, int OC) {
    // split over output rows; a fork costs microseconds, so small layers stay on one thread
#pragma omp parallel for schedule(static) if (size_t(OC) * IC >= 32768)
    for (int o = 0; o < OC; o++) y[o] = MG_VEC_DOT(x, w + size_t(o) * IC, IC);
}

// One input row on the calling thread: the decoder splits the output rows over its own threads,
// and a row sums in the same order whichever thread computes it. (The fp16 matvec, on packed
// row panels, is in the ISA's half.cpp.)
void MG_MATVEC(forward)(float * out, const float * inp, const float * weight, int IC, int OC) {
    for (int o = 0; o < OC; o++) out[o] = MG_VEC_DOT(inp, weight + size_t(o) * IC, IC);
}

void MG_MATMUL(forward)(float * out, const float * inp, const float * weight, size_t N, int IC, int OC) {
    if (N < kGemvRows) {
        for (size_t n = 0; n < N; n++) MG_GEMV(out + n * OC, inp + n * IC, weight, IC, OC);
        return;
    }
    gemm(MG_GEMM_MICRO, out, OC, inp, IC, 1, weight, 1, IC, N, OC, IC, false);
}

void MG_MATMUL(backward)(float * dinp, float * dweight, const float * dout, const float * inp, const float * weight,
                          size_t N, int IC, int OC) {
    if (dinp) gemm(MG_GEMM_MICRO, dinp, IC, dout, OC, 1, weight, IC, 1, N, IC, OC, true);
    if (dweight) gemm(MG_GEMM_MICRO, dweight, IC, dout, 1, OC, inp, IC, 1, OC, IC, N, true);
}

}  // namespace mg
