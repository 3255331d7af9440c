// half, AVX2 (+F16C, which every AVX2+FMA CPU has: x86-64-v3): the decoder's fp16 weights.
//   f16_from_f32      dst (n) fp16 bits from src (n), rounded to nearest even like the reference
//   matvec_forward_f16 out (OC) = W (OC,IC) . inp (IC), W in fp16 row panels (ref/matvec.cpp)
#include "kernels/ref/ref.h"
#include "kernels/x86/vec-avx2.h"
#include "kernels/x86/x86.h"

namespace mg {

void f16_from_f32_avx2(uint16_t * dst, const float * src, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + i), _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    // leftovers: one padded vector through the same instruction
    if (i < n) {
        alignas(32) float x[8] = {0};
        alignas(16) uint16_t h[8];
        for (size_t j = i; j < n; j++) x[j - i] = src[j];
        _mm_store_si128(reinterpret_cast<__m128i *>(h), _mm256_cvtps_ph(_mm256_load_ps(x), _MM_FROUND_TO_NEAREST_INT));
        for (size_t j = i; j < n; j++) dst[j] = h[j - i];
    }
}

// acc[r] += x * (the chunk's row r, 8 halves widened)
static inline void panel_step(__m256 * acc, __m256 x, const uint16_t * chunk) {
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++)
        acc[r] = _mm256_fmadd_ps(x, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(chunk + r * 8))), acc[r]);
}

// Per panel, 8 accumulators (one per row: 8 independent FMA chains cover the latency) take one
// 128-byte chunk per step. Every row sums in the same order, whichever panel or thread it is in.
void matvec_forward_f16_avx2(float * out, const float * inp, const uint16_t * packed, int IC, int OC) {
    static_assert(kMatvecPanel == 8, "a chunk row is one 8-lane vector");
    const int chunks = (IC + 7) / 8, full = IC / 8;
    alignas(32) float tail[8] = {0};  // inp's last partial chunk, zero-padded like the panel
    for (int i = full * 8; i < IC; i++) tail[i - full * 8] = inp[i];
    for (int o = 0; o < OC; o += 8) {
        const uint16_t * p = packed + size_t(o / 8) * chunks * 64;
        __m256 acc[8];
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) acc[r] = _mm256_setzero_ps();
        for (int c = 0; c < full; c++) panel_step(acc, _mm256_loadu_ps(inp + c * 8), p + size_t(c) * 64);
        // leftovers
        if (full < chunks) panel_step(acc, _mm256_load_ps(tail), p + size_t(full) * 64);
        const int rows = OC - o < 8 ? OC - o : 8;
        for (int r = 0; r < rows; r++) out[o + r] = hsum_avx2(acc[r]);
    }
}

}  // namespace mg
