// gemm driver: pack, block, split over threads; the microkernel does the arithmetic.
// Loop nest (BLIS): column blocks NC > k blocks KC > row blocks MC (one per thread at a time)
// > B micro-panels (NR wide, stay in L1) > A micro-panels (MR tall, the A block stays in L2).
#include "kernels/gemm.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
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
        for (size_t k = 0; k < kc; k++) std::memcpy(dst + k * NR, b + (k0 + k) * rsb + j0, nr * sizeof(float));
    } else {
        for (size_t j = 0; j < nr; j++) {
            const float * src = b + (j0 + j) * csb + k0 * rsb;
            for (size_t k = 0; k < kc; k++) dst[k * NR + j] = src[k * rsb];
        }
    }
}

void gemm(const GemmMicro & micro, float * c, size_t ldc, const float * a, size_t rsa, size_t csa, const float * b,
          size_t rsb, size_t csb, size_t M, size_t N, size_t K, bool accumulate) {
    if (M == 0 || N == 0) return;
    if (K == 0) {
        if (!accumulate)
            for (size_t i = 0; i < M; i++) std::memset(c + i * ldc, 0, N * sizeof(float));
        return;
    }
    const size_t MR = micro.MR, NR = micro.NR;
    const int nth = omp_get_max_threads();
    // Row blocks: a multiple of the thread count so the threads get equal shares. Blocks start at
    // multiples of MR, so a C element's tile, and its sum order, never depend on the split.
    const size_t mpanels = (M + MR - 1) / MR;
    size_t mblocks = (mpanels + kMaxPanelsPerBlock - 1) / kMaxPanelsPerBlock;
    mblocks = std::min(mpanels, (mblocks + nth - 1) / nth * nth);
    const size_t MC = (mpanels + mblocks - 1) / mblocks * MR;
    const size_t npanels_max = (std::min(N, kGemmNC) + NR - 1) / NR;
    // Packing buffers of the calling thread, kept between calls: after the first call of the
    // largest shape, gemm allocates nothing. Thread-local so two engine threads (training and
    // generation in the app) can multiply at once.
    thread_local std::vector<float> bpack, apack;
    if (bpack.size() < kGemmKC * npanels_max * NR) bpack.resize(kGemmKC * npanels_max * NR);
    if (apack.size() < size_t(nth) * MC * kGemmKC) apack.resize(size_t(nth) * MC * kGemmKC);
    float * bp = bpack.data();
    float * ap_all = apack.data();

#pragma omp parallel num_threads(nth)
    {
        float * ap = ap_all + size_t(omp_get_thread_num()) * MC * kGemmKC;
        alignas(64) float tile[kMaxTile];
        for (size_t nc0 = 0; nc0 < N; nc0 += kGemmNC) {
            const size_t nc = std::min(kGemmNC, N - nc0), npanels = (nc + NR - 1) / NR;
            for (size_t kc0 = 0; kc0 < K; kc0 += kGemmKC) {
                const size_t kc = std::min(kGemmKC, K - kc0);
                const bool acc = accumulate || kc0 > 0;
                // every thread packs a share of the B block, then all of them use all of it
#pragma omp for schedule(static)
                for (size_t p = 0; p < npanels; p++)
                    pack_b(bp + p * kc * NR, b, rsb, csb, kc0, nc0 + p * NR, std::min(NR, nc - p * NR), kc, int(NR));
                // split over row blocks: each thread writes only its own rows of C
#pragma omp for schedule(static)
                for (size_t mb = 0; mb < mblocks; mb++) {
                    const size_t m0 = mb * MC;
                    if (m0 >= M) continue;
                    const size_t mc = std::min(MC, M - m0), mp = (mc + MR - 1) / MR;
                    for (size_t q = 0; q < mp; q++)
                        pack_a(ap + q * kc * MR, a, rsa, csa, m0 + q * MR, kc0, std::min(MR, mc - q * MR), kc, int(MR));
                    for (size_t p = 0; p < npanels; p++) {
                        for (size_t q = 0; q < mp; q++) {
                            const size_t i0 = m0 + q * MR, j0 = nc0 + p * NR;
                            const size_t mr = std::min(MR, M - i0), nr = std::min(NR, N - j0);
                            float * cij = c + i0 * ldc + j0;
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
            }
        }
    }
}

}  // namespace mg
