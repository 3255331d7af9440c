// gemm: the packed, cache-blocked matrix product every SIMD matmul runs on (the BLIS/GotoBLAS
// scheme). The ISA files supply only the register-blocked microkernel; this driver packs the
// operands into microkernel order, blocks them for the caches and splits the work over threads.
//
//   C (M,N) = [C +] A (M,K) . B (K,N)        A[i,k] = a[i*rsa + k*csa], B[k,j] = b[k*rsb + j*csb]
//
// Strides let one driver serve all three products of a linear layer without transposing:
//   forward  out = inp . W^T      A = inp,    B = W read as (IC,OC)
//   dinp    += dout . W           A = dout,   B = W
//   dweight += dout^T . inp       A = dout read as (OC,N), B = inp
// Every C element sums its K terms in one fixed order (k blocks of kGemmKC, then k within a
// block), whatever the thread count or the row split, so results are bitwise reproducible.
#pragma once
#include <cstddef>

namespace mg {

inline constexpr size_t kGemmKC = 256;  // k block: an MR x KC A panel and a KC x NR B panel sit in L1
inline constexpr size_t kGemmNC = 256;  // column block: the packed KC x NC B block (256 KiB) sits in L2 (a
                                        // shorter k widens the block to the same size)
                                        // (the Cortex-A76 has 512 KiB of L2 per core)

// c (MR,NR) with row stride ldc = [c +] a . b over kc steps; a is packed (kc,MR), b packed (kc,NR).
typedef void (*gemm_micro_fn)(size_t kc, const float * a, const float * b, float * c, size_t ldc, bool accumulate);

struct GemmMicro {
    int MR, NR;
    gemm_micro_fn fn;
};

void gemm(const GemmMicro & micro, float * c, size_t ldc, const float * a, size_t rsa, size_t csa, const float * b,
          size_t rsb, size_t csb, size_t M, size_t N, size_t K, bool accumulate);
// The same product on the calling thread only, for small GEMMs inside a kernel's own parallel
// loop (attention's per-head products): no OpenMP region, not even an inactive nested one.
void gemm_serial(const GemmMicro & micro, float * c, size_t ldc, const float * a, size_t rsa, size_t csa,
                 const float * b, size_t rsb, size_t csb, size_t M, size_t N, size_t K, bool accumulate);

inline constexpr size_t kMaxPanelsPerBlock = 24;  // MC <= 24 MR rows: the packed A block stays in L2
inline constexpr int kGemmMaxMR = 8, kGemmMaxNR = 16;  // no microkernel's tile is larger

// The most memory the packing buffers of gemm and gemm_serial hold at `threads` OpenMP threads,
// for the memory pre-flight. Per set: an A block of MC x KC and a B block of KC x (NC + NR) (see
// gemm.cpp); gemm's caller keeps one set per thread, and each thread one more for gemm_serial,
// all thread-local and kept between calls.
inline size_t gemm_scratch_bytes(int threads) {
    const size_t set = kMaxPanelsPerBlock * kGemmMaxMR * kGemmKC + kGemmKC * (kGemmNC + kGemmMaxNR);
    return 2 * size_t(threads > 0 ? threads : 1) * set * sizeof(float);
}

}  // namespace mg
