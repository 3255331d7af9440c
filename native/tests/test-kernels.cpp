// Every kernel dispatch.h binds (NEON on arm64, AVX2+FMA on x86-64) against the scalar reference,
// on awkward shapes: size 1, lengths that are not multiples of any vector width or microkernel
// tile, k past one cache block, rows past one column block. Prints each op's maxdiff.
// On a scalar build the dispatched kernels are the reference and every check is exact.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/dispatch.h"
#include "kernels/gemm.h"
#include "test-util.h"

using namespace mg;
using namespace mgtest;

static mg::Rng g_rng(42);
static std::vector<float> rnd(size_t n, float scale = 1.0f) { return randn(n, g_rng, scale); }

// max |ref - got| relative to the largest |ref|: scale-free, so one tolerance fits every op
static void compare(const char * what, const std::vector<float> & ref, const std::vector<float> & got, double tol = 2e-6) {
    double maxdiff = 0, maxref = 1e-30;
    bool finite = true;
    for (size_t i = 0; i < ref.size(); i++) {
        finite &= std::isfinite(got[i]);
        maxdiff = std::max(maxdiff, double(std::fabs(ref[i] - got[i])));
        maxref = std::max(maxref, double(std::fabs(ref[i])));
    }
    double rel = maxdiff / maxref;
    EXPECT_MSG(finite && rel <= tol, "%s: maxdiff %.3g (relative %.3g > %.1g)", what, maxdiff, rel, tol);
    if (!(finite && rel <= tol)) return;
    std::printf("  %-44s maxdiff %.2g (relative %.2g)\n", what, maxdiff, rel);
}

static void test_matmul(size_t N, int IC, int OC) {
    char label[96];
    auto x = rnd(N * IC), w = rnd(size_t(OC) * IC), dy = rnd(N * OC);
    std::vector<float> y0(N * OC), y1(N * OC);
    matmul_forward_ref(y0.data(), x.data(), w.data(), N, IC, OC);
    matmul_forward(y1.data(), x.data(), w.data(), N, IC, OC);
    std::snprintf(label, sizeof label, "matmul_forward N=%zu IC=%d OC=%d", N, IC, OC);
    compare(label, y0, y1);
    // backward accumulates into gradients that already hold something
    auto dx0 = rnd(N * IC), dw0 = rnd(size_t(OC) * IC);
    auto dx1 = dx0, dw1 = dw0;
    matmul_backward_ref(dx0.data(), dw0.data(), dy.data(), x.data(), w.data(), N, IC, OC);
    matmul_backward(dx1.data(), dw1.data(), dy.data(), x.data(), w.data(), N, IC, OC);
    std::snprintf(label, sizeof label, "matmul_backward dinp N=%zu IC=%d OC=%d", N, IC, OC);
    compare(label, dx0, dx1);
    std::snprintf(label, sizeof label, "matmul_backward dweight N=%zu IC=%d OC=%d", N, IC, OC);
    compare(label, dw0, dw1);
    // a null gradient is skipped
    auto dx2 = dx1;
    matmul_backward(dx2.data(), nullptr, dy.data(), x.data(), w.data(), N, IC, OC);
    EXPECT(dx2 != dx1 || N * IC == 0);
}

static void test_rmsnorm(size_t N, int C) {
    char label[96];
    auto x = rnd(N * C), w = rnd(C), dy = rnd(N * C);
    std::vector<float> y0(N * C), y1(N * C), r0(N), r1(N);
    rmsnorm_forward_ref(y0.data(), r0.data(), x.data(), w.data(), N, C);
    rmsnorm_forward(y1.data(), r1.data(), x.data(), w.data(), N, C);
    std::snprintf(label, sizeof label, "rmsnorm_forward N=%zu C=%d", N, C);
    compare(label, y0, y1);
    compare("  rstd", r0, r1);
    auto dx0 = rnd(N * C), dw0 = rnd(C);
    auto dx1 = dx0, dw1 = dw0;
    rmsnorm_backward_ref(dx0.data(), dw0.data(), dy.data(), x.data(), w.data(), r0.data(), N, C);
    rmsnorm_backward(dx1.data(), dw1.data(), dy.data(), x.data(), w.data(), r0.data(), N, C);
    std::snprintf(label, sizeof label, "rmsnorm_backward N=%zu C=%d", N, C);
    compare(label, dx0, dx1);
    compare("  dweight", dw0, dw1);
}

static void test_attention(int B, int T, int C, int NH) {
    char label[96];
    const size_t N = size_t(B) * T;
    auto qkv = rnd(N * 3 * C), dy = rnd(N * C);
    std::vector<float> y0(N * C), y1(N * C), a0(size_t(B) * NH * T * T), a1(a0.size());
    attention_forward_ref(y0.data(), a0.data(), qkv.data(), B, T, C, NH);
    attention_forward(y1.data(), a1.data(), qkv.data(), B, T, C, NH);
    std::snprintf(label, sizeof label, "attention_forward B=%d T=%d C=%d NH=%d", B, T, C, NH);
    compare(label, y0, y1);
    compare("  att", a0, a1);
    auto d0 = rnd(N * 3 * C);
    auto d1 = d0;
    attention_backward_ref(d0.data(), dy.data(), qkv.data(), a0.data(), B, T, C, NH);
    attention_backward(d1.data(), dy.data(), qkv.data(), a0.data(), B, T, C, NH);
    std::snprintf(label, sizeof label, "attention_backward B=%d T=%d C=%d NH=%d", B, T, C, NH);
    compare(label, d0, d1);
}

static void test_decode(int len, int C, int NH) {
    char label[96];
    auto q = rnd(C), k = rnd(size_t(len) * C), v = rnd(size_t(len) * C);
    std::vector<float> y0(C), y1(C);
    attention_decode_ref(y0.data(), q.data(), k.data(), v.data(), len, C, NH);
    attention_decode(y1.data(), q.data(), k.data(), v.data(), len, C, NH);
    std::snprintf(label, sizeof label, "attention_decode len=%d C=%d NH=%d", len, C, NH);
    compare(label, y0, y1);
}

static void test_gelu(size_t N, float scale) {
    char label[96];
    auto x = rnd(N, scale), dy = rnd(N);
    std::vector<float> y0(N), y1(N);
    gelu_forward_ref(y0.data(), x.data(), N);
    gelu_forward(y1.data(), x.data(), N);
    std::snprintf(label, sizeof label, "gelu_forward N=%zu scale=%g", N, scale);
    compare(label, y0, y1);
    auto d0 = rnd(N);
    auto d1 = d0;
    gelu_backward_ref(d0.data(), dy.data(), x.data(), N);
    gelu_backward(d1.data(), dy.data(), x.data(), N);
    std::snprintf(label, sizeof label, "gelu_backward N=%zu scale=%g", N, scale);
    compare(label, d0, d1);
}

static void test_crossentropy(size_t N, int V) {
    char label[96];
    auto z = rnd(N * V, 3.0f);
    std::vector<int> tgt(N);
    for (size_t n = 0; n < N; n++) tgt[n] = int(g_rng.below(uint32_t(V)));
    std::vector<float> l0(N), l1(N), p0(N * V), p1(N * V);
    crossentropy_forward_ref(l0.data(), p0.data(), z.data(), tgt.data(), N, V);
    crossentropy_forward(l1.data(), p1.data(), z.data(), tgt.data(), N, V);
    std::snprintf(label, sizeof label, "crossentropy_forward N=%zu V=%d", N, V);
    compare(label, l0, l1, 1e-5);
    compare("  probs", p0, p1, 1e-5);
    auto d0 = rnd(N * V);
    auto d1 = d0;
    crossentropy_backward_ref(d0.data(), p0.data(), tgt.data(), 0.37f, N, V);
    crossentropy_backward(d1.data(), p0.data(), tgt.data(), 0.37f, N, V);
    std::snprintf(label, sizeof label, "crossentropy_backward N=%zu V=%d", N, V);
    compare(label, d0, d1);
}

static void test_adamw(size_t n) {
    char label[96];
    auto p0 = rnd(n), m0 = rnd(n, 0.1f), g = rnd(n);
    std::vector<float> v0(n);
    for (auto & x : v0) x = std::fabs(g_rng.normal()) * 0.01f;
    auto p1 = p0, m1 = m0, v1 = v0;
    adamw_update_ref(p0.data(), m0.data(), v0.data(), g.data(), n, 1e-2f, 0.9f, 0.99f, 1e-8f, 0.1f, 0.5f, 7);
    adamw_update(p1.data(), m1.data(), v1.data(), g.data(), n, 1e-2f, 0.9f, 0.99f, 1e-8f, 0.1f, 0.5f, 7);
    std::snprintf(label, sizeof label, "adamw_update n=%zu", n);
    compare(label, p0, p1);
    compare("  m", m0, m1);
    compare("  v", v0, v1);
}

// The fast matmul must give the same bits at 1 and 2 threads (training determinism relies on it).
static void test_thread_invariance() {
    const size_t N = 301;
    const int IC = 270, OC = 45;
    auto x = rnd(N * IC), w = rnd(size_t(OC) * IC), dy = rnd(N * OC);
    std::vector<float> y[2], dx[2], dw[2];
    for (int th = 1; th <= 2; th++) {
        omp_set_num_threads(th);
        y[th - 1].assign(N * OC, 0.0f), dx[th - 1].assign(N * IC, 0.0f), dw[th - 1].assign(size_t(OC) * IC, 0.0f);
        matmul_forward(y[th - 1].data(), x.data(), w.data(), N, IC, OC);
        matmul_backward(dx[th - 1].data(), dw[th - 1].data(), dy.data(), x.data(), w.data(), N, IC, OC);
    }
    EXPECT_MSG(y[0] == y[1] && dx[0] == dx[1] && dw[0] == dw[1], "matmul differs between 1 and 2 threads");
}

int main() {
    std::printf("  kernels: %s\n", MG_KERNELS_ISA);
    for (auto [N, IC, OC] : {std::tuple<size_t, int, int>{1, 1, 1}, {1, 7, 5}, {2, 33, 70}, {3, 13, 17}, {4, 16, 16},
                             {5, 33, 19}, {7, 300, 40}, {37, 64, 530}, {64, 128, 384}, {13, 520, 9}})
        test_matmul(N, IC, OC);
    for (auto [N, C] : {std::pair<size_t, int>{1, 1}, {3, 7}, {5, 13}, {4, 128}, {2, 33}}) test_rmsnorm(N, C);
    for (auto [B, T, C, NH] : {std::tuple<int, int, int, int>{1, 1, 1, 1}, {2, 5, 6, 2}, {1, 9, 36, 3}, {2, 17, 64, 2}, {1, 70, 48, 3}})
        test_attention(B, T, C, NH);
    for (auto [len, C, NH] : {std::tuple<int, int, int>{1, 1, 1}, {7, 6, 2}, {33, 64, 2}, {20, 36, 3}})
        test_decode(len, C, NH);
    for (size_t N : {size_t(1), size_t(7), size_t(8), size_t(9), size_t(8195)}) test_gelu(N, 1.0f);
    test_gelu(37, 12.0f);  // saturated tanh on both sides
    for (auto [N, V] : {std::pair<size_t, int>{1, 1}, {3, 7}, {4, 65}, {2, 9}}) test_crossentropy(N, V);
    for (size_t n : {size_t(1), size_t(7), size_t(8), size_t(17), size_t(1003)}) test_adamw(n);
    test_thread_invariance();
    return finish("test-kernels");
}
