// gemm driver: pack, block, split over threads; the microkernel does the arithmetic.
// Loop nest (BLIS), per thread on its slab of C: column blocks NC > k blocks KC > row blocks MC
// > B micro-panels (NR wide, stay in L1) > A micro-panels (MR tall, the A block stays in L2).
#include "kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

namespace mg {

static constexpr int kMaxTile = kGemmMaxMR * kGemmMaxNR;  // the largest MR x NR any microkernel uses

// Packing, written once for every target on 4-lane GCC vectors (one SSE or NEON register).
// A panel is `lines` (the MR rows of A or the NR columns of B) by kc; it is stored k-major:
//   dst[k*width + l] = src[l*line_stride + k*k_stride],  l < lines, zero for lines..width-1
// Which stride is 1 decides the copy: lines contiguous (A read transposed, as in dweight, or B
// row-major) is a run of `width` floats per k; k contiguous (A row-major, B read transposed, as
// in the forward) is a transpose, done 4 x 4 in registers. Scalar strided copies were a fifth
// of an 8gb training step; now packing is about a tenth, bound by reading the activations.
typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));

static inline v4f load4(const float * p) {
    v4f v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// r[i][k] -> r[k][i]
static inline void transpose4(v4f r[4]) {
    const v4f t0 = __builtin_shuffle(r[0], r[1], v4i{0, 4, 1, 5}), t1 = __builtin_shuffle(r[0], r[1], v4i{2, 6, 3, 7});
    const v4f t2 = __builtin_shuffle(r[2], r[3], v4i{0, 4, 1, 5}), t3 = __builtin_shuffle(r[2], r[3], v4i{2, 6, 3, 7});
    r[0] = __builtin_shuffle(t0, t2, v4i{0, 1, 4, 5});
    r[1] = __builtin_shuffle(t0, t2, v4i{2, 3, 6, 7});
    r[2] = __builtin_shuffle(t1, t3, v4i{0, 1, 4, 5});
    r[3] = __builtin_shuffle(t1, t3, v4i{2, 3, 6, 7});
}

// k contiguous: 4 lines x 4 k at a time through registers; the first W lines of the 4 are stored
// (W = 2 for the last two rows of AVX2's MR = 6)
template <size_t W>
static void transpose_lines(float * dst, size_t width, const float * src, size_t line_stride, size_t lines, size_t kc) {
    size_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        v4f r[4];
        for (size_t i = 0; i < 4; i++) r[i] = i < lines ? load4(src + i * line_stride + k) : v4f{};
        transpose4(r);
        for (size_t kk = 0; kk < 4; kk++) std::memcpy(dst + (k + kk) * width, &r[kk], W * sizeof(float));
    }
    for (; k < kc; k++)
        for (size_t i = 0; i < W; i++) dst[k * width + i] = i < lines ? src[i * line_stride + k] : 0.0f;
}

// A block of `lines` lines (mc rows of A or nc columns of B) into ceil(lines / width) panels,
// panel p at dst + p*kc*width.
static void pack_block(float * dst, size_t width, size_t lines, const float * src, size_t line_stride, size_t k_stride,
                       size_t kc) {
    const size_t full = lines / width, rest = lines - full * width;
    if (line_stride == 1) {
        // runs of `width` floats, kKChunk k at a time across the panels: the chunk's source rows
        // stay in L1 while every panel takes its part, and each panel is written in order (k
        // outer over all panels thrashed L1: the panels lie kc*width floats apart, which maps
        // them onto one or two cache sets). Constant sizes become vector moves.
        constexpr size_t kKChunk = 8;
        auto runs = [&](auto w) {
            for (size_t k0 = 0; k0 < kc; k0 += kKChunk) {
                const size_t k1 = std::min(kc, k0 + kKChunk);
                for (size_t p = 0; p < full; p++)
                    for (size_t k = k0; k < k1; k++)
                        std::memcpy(dst + p * kc * w + k * w, src + k * k_stride + p * w, w * sizeof(float));
                if (rest)
                    for (size_t k = k0; k < k1; k++)
                        for (size_t l = 0; l < w; l++)
                            dst[full * kc * w + k * w + l] = l < rest ? src[k * k_stride + full * w + l] : 0.0f;
            }
        };
        if (width == 16) runs(std::integral_constant<size_t, 16>());
        else if (width == 12) runs(std::integral_constant<size_t, 12>());
        else if (width == 8) runs(std::integral_constant<size_t, 8>());
        else if (width == 6) runs(std::integral_constant<size_t, 6>());
        else runs(width);
        return;
    }
    // k contiguous within a line: a panel at a time, 4 lines x 4 k through registers
    for (size_t p = 0; p * width < lines; p++) {
        const size_t n = std::min(width, lines - p * width);
        float * d = dst + p * kc * width;
        const float * sp = src + p * width * line_stride;
        for (size_t l0 = 0; l0 < width; l0 += 4) {
            const size_t nl = n > l0 ? std::min<size_t>(4, n - l0) : 0;
            const float * s = sp + l0 * line_stride;
            if (k_stride == 1 && width - l0 >= 4) transpose_lines<4>(d + l0, width, s, line_stride, nl, kc);
            else if (k_stride == 1 && width - l0 == 2) transpose_lines<2>(d + l0, width, s, line_stride, nl, kc);
            else
                for (size_t k = 0; k < kc; k++)
                    for (size_t i = 0; l0 + i < width && i < 4; i++)
                        d[k * width + l0 + i] = i < nl ? s[i * line_stride + k * k_stride] : 0.0f;
        }
    }
}

// C[i0:i0+mc, j0:j0+nc] (+)= the packed A rows times the packed B columns: B micro-panels
// outside (each stays in L1 across the A panels), A micro-panels inside (the A block is in L2).
static void compute_block(const GemmMicro & micro, float * c, size_t ldc, const float * ap, const float * bp, size_t i0,
                          size_t mc, size_t j0, size_t nc, size_t kc, bool acc) {
    const size_t MR = micro.MR, NR = micro.NR;
    alignas(64) float tile[kMaxTile];
    for (size_t p = 0; p * NR < nc; p++) {
        for (size_t q = 0; q * MR < mc; q++) {
            const size_t mr = std::min(MR, mc - q * MR), nr = std::min(NR, nc - p * NR);
            float * cij = c + (i0 + q * MR) * ldc + j0 + p * NR;
            if (mr == MR && nr == NR) {
                micro.fn(kc, ap + q * kc * MR, bp + p * kc * NR, cij, ldc, acc);
                continue;
            }
            // an edge tile: compute it whole, keep the part inside C
            micro.fn(kc, ap + q * kc * MR, bp + p * kc * NR, tile, NR, false);
            for (size_t i = 0; i < mr; i++)
                for (size_t j = 0; j < nr; j++)
                    cij[i * ldc + j] = acc ? cij[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
        }
    }
}

// C[i_begin:i_end, j_begin:j_end] on one thread, with its own packing buffers ap (MC,KC), bp (KC,NC)
static void gemm_slab(const GemmMicro & micro, float * c, size_t ldc, const float * a, size_t rsa, size_t csa,
                      const float * b, size_t rsb, size_t csb, size_t i_begin, size_t i_end, size_t j_begin,
                      size_t j_end, size_t K, bool accumulate, float * ap, float * bp) {
    const size_t MR = micro.MR, NR = micro.NR, MC = kMaxPanelsPerBlock * MR;
    // A short k (the models' K = 128) leaves room in the B block for more columns: widen it to
    // the same KC x NC floats, so each A panel is packed once instead of once per NC columns
    const size_t kc_max = std::min(kGemmKC, K);
    const size_t NC = std::max(kGemmNC, kGemmKC * kGemmNC / kc_max / NR * NR);
    for (size_t j0 = j_begin; j0 < j_end; j0 += NC) {
        const size_t nc = std::min(NC, j_end - j0);
        for (size_t k0 = 0; k0 < K; k0 += kGemmKC) {
            const size_t kc = std::min(kGemmKC, K - k0);
            const bool acc = accumulate || k0 > 0;
            pack_block(bp, NR, nc, b + k0 * rsb + j0 * csb, csb, rsb, kc);  // B[k0+k, j0+j] -> (kc, NR) panels
            for (size_t i0 = i_begin; i0 < i_end; i0 += MC) {
                const size_t mc = std::min(MC, i_end - i0);
                pack_block(ap, MR, mc, a + i0 * rsa + k0 * csa, rsa, csa, kc);  // A[i0+i, k0+k] -> (kc, MR) panels
                compute_block(micro, c, ldc, ap, bp, i0, mc, j0, nc, kc, acc);
            }
        }
    }
}

static bool gemm_trivial(float * c, size_t ldc, size_t M, size_t N, size_t K, bool accumulate) {
    if (M == 0 || N == 0) return true;
    if (K > 0) return false;
    if (!accumulate)
        for (size_t i = 0; i < M; i++) std::memset(c + i * ldc, 0, N * sizeof(float));
    return true;
}

// The packed B block, floats: kc x nc <= KC x NC, plus one NR panel of padding (columns go in
// whole NR panels, and NEON's 12 does not divide NC).
static size_t packed_b_size(const GemmMicro & micro) { return kGemmKC * (kGemmNC + micro.NR); }

void gemm(const GemmMicro & micro, float * c, size_t ldc, const float * a, size_t rsa, size_t csa, const float * b,
          size_t rsb, size_t csb, size_t M, size_t N, size_t K, bool accumulate) {
    if (gemm_trivial(c, ldc, M, N, K, accumulate)) return;
    const size_t MR = micro.MR, NR = micro.NR, MC = kMaxPanelsPerBlock * MR, bsize = packed_b_size(micro);
    const int nth = omp_get_max_threads();
    // Each thread takes a slab of C: rows when C is taller than wide, else columns. It packs its
    // share of the split operand and all of the other, smaller one: no packed block is shared,
    // so there are no barriers and no reads from another core's cache. Slabs start at multiples
    // of MR or NR, so a C element's tile, and its sum order, never depend on the thread count.
    const bool split_rows = M >= N;
    const size_t unit = split_rows ? MR : NR, extent = split_rows ? M : N;
    const size_t panels = (extent + unit - 1) / unit, per_thread = (panels + nth - 1) / nth;
    // Packing buffers of the calling thread, kept between calls: after the first call of the
    // largest shape, gemm allocates nothing. Thread-local so two engine threads (training and
    // generation in the app) can multiply at once.
    thread_local std::vector<float> apack, bpack;
    if (apack.size() < size_t(nth) * MC * kGemmKC) apack.resize(size_t(nth) * MC * kGemmKC);
    if (bpack.size() < size_t(nth) * bsize) bpack.resize(size_t(nth) * bsize);
    float * ap_all = apack.data();
    float * bp_all = bpack.data();

    // one slab per thread
#pragma omp parallel for schedule(static) num_threads(nth)
    for (int t = 0; t < nth; t++) {
        const size_t s0 = std::min(extent, size_t(t) * per_thread * unit);
        const size_t s1 = std::min(extent, s0 + per_thread * unit);
        if (s0 >= s1) continue;
        gemm_slab(micro, c, ldc, a, rsa, csa, b, rsb, csb, split_rows ? s0 : 0, split_rows ? s1 : M,
                  split_rows ? 0 : s0, split_rows ? N : s1, K, accumulate, ap_all + size_t(t) * MC * kGemmKC,
                  bp_all + size_t(t) * bsize);
    }
}

void gemm_serial(const GemmMicro & micro, float * c, size_t ldc, const float * a, size_t rsa, size_t csa,
                 const float * b, size_t rsb, size_t csb, size_t M, size_t N, size_t K, bool accumulate) {
    if (gemm_trivial(c, ldc, M, N, K, accumulate)) return;
    const size_t MC = kMaxPanelsPerBlock * micro.MR, bsize = packed_b_size(micro);
    thread_local std::vector<float> apack, bpack;  // this thread's, as in gemm()
    if (apack.size() < MC * kGemmKC) apack.resize(MC * kGemmKC);
    if (bpack.size() < bsize) bpack.resize(bsize);
    gemm_slab(micro, c, ldc, a, rsa, csa, b, rsb, csb, 0, M, 0, N, K, accumulate, apack.data(), bpack.data());
}

}  // namespace mg
