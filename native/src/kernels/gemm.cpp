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

static constexpr size_t kMaxPanelsPerBlock = 24;  // MC <= 24 MR rows: the packed A block stays in L2
static constexpr int kMaxTile = 8 * 16;           // the largest MR x NR any microkernel uses

// dst (kc, MR): dst[k*MR + r] = A[i0+r, k0+k], rows past mr zero-filled
static void pack_a(float * dst, const float * a, size_t rsa, size_t csa, size_t i0, size_t k0, size_t mr, size_t kc,
                   int MR) {
    if (mr < size_t(MR)) std::memset(dst, 0, kc * MR * sizeof(float));
    if (csa == 1) {  // rows of A are contiguous in k: read each row once
        for (size_t r = 0; r < mr; r++) {
            const float * src = a + (i0 + r) * rsa + k0;
            for (size_t k = 0; k < kc; k++) dst[k * MR + r] = src[k];
        }
    } else {
        for (size_t k = 0; k < kc; k++) {
            const float * src = a + (k0 + k) * csa + i0 * rsa;
            for (size_t r = 0; r < mr; r++) dst[k * MR + r] = src[r * rsa];
        }
    }
}

// dst (kc, NR): dst[k*NR + j] = B[k0+k, j0+j], columns past nr zero-filled
static void pack_b(float * dst, const float * b, size_t rsb, size_t csb, size_t k0, size_t j0, size_t nr, size_t kc,
                   int NR) {
    if (nr < size_t(NR)) std::memset(dst, 0, kc * NR * sizeof(float));
    if (csb == 1) {  // rows of B are contiguous in j: copy NR floats per k
        // constant sizes compile to a few vector moves; a memcpy call per 48 or 64 bytes cost 5% of a step
        auto rows = [&](auto width) {
            for (size_t k = 0; k < kc; k++) std::memcpy(dst + k * NR, b + (k0 + k) * rsb + j0, width * sizeof(float));
        };
        if (nr == 16) rows(std::integral_constant<size_t, 16>());
        else if (nr == 12) rows(std::integral_constant<size_t, 12>());
        else rows(nr);
    } else {
        for (size_t j = 0; j < nr; j++) {
            const float * src = b + (j0 + j) * csb + k0 * rsb;
            for (size_t k = 0; k < kc; k++) dst[k * NR + j] = src[k * rsb];
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
            for (size_t p = 0; p * NR < nc; p++)
                pack_b(bp + p * kc * NR, b, rsb, csb, k0, j0 + p * NR, std::min(NR, nc - p * NR), kc, int(NR));
            for (size_t i0 = i_begin; i0 < i_end; i0 += MC) {
                const size_t mc = std::min(MC, i_end - i0);
                for (size_t q = 0; q * MR < mc; q++)
                    pack_a(ap + q * kc * MR, a, rsa, csa, i0 + q * MR, k0, std::min(MR, mc - q * MR), kc, int(MR));
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
