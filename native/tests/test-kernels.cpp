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

static void test_matvec(int IC, int OC) {
    char label[96];
    auto x = rnd(IC), w = rnd(size_t(OC) * IC);
    std::vector<float> y0(OC), y1(OC), y2(OC), y3(OC), wround(w.size());
    matvec_forward_ref(y0.data(), x.data(), w.data(), IC, OC);
    matvec_forward(y1.data(), x.data(), w.data(), IC, OC);
    std::snprintf(label, sizeof label, "matvec_forward IC=%d OC=%d", IC, OC);
    compare(label, y0, y1);
    // fp16 row panels: the packed reference is the fp32 reference on the rounded weights (a wrong
    // layout would be off by the weights themselves)
    std::vector<uint16_t> w16(w.size()), packed(matvec_f16_packed_size(IC, OC), 0xffff);
    f16_from_f32(w16.data(), w.data(), w.size());
    for (size_t i = 0; i < w.size(); i++) wround[i] = f32_from_f16_scalar(w16[i]);
    matvec_pack_f16(packed.data(), w16.data(), IC, OC);
    matvec_forward_ref(y0.data(), x.data(), wround.data(), IC, OC);
    matvec_forward_f16_ref(y2.data(), x.data(), packed.data(), IC, OC);
    std::snprintf(label, sizeof label, "matvec_forward_f16_ref IC=%d OC=%d (packing)", IC, OC);
    compare(label, y0, y2);
    matvec_forward_f16(y3.data(), x.data(), packed.data(), IC, OC);
    std::snprintf(label, sizeof label, "matvec_forward_f16 IC=%d OC=%d", IC, OC);
    compare(label, y2, y3);
    // the rows from the second panel on are a packed matrix of their own (the decoder's split)
    if (OC > kMatvecPanel) {
        const size_t row_halves = matvec_f16_packed_size(IC, kMatvecPanel) / kMatvecPanel;
        std::vector<float> tail(OC - kMatvecPanel);
        matvec_forward_f16(tail.data(), x.data(), packed.data() + kMatvecPanel * row_halves, IC, OC - kMatvecPanel);
        EXPECT_MSG(std::equal(tail.begin(), tail.end(), y3.begin() + kMatvecPanel), "matvec_forward_f16 IC=%d OC=%d: a "
                   "row's value depends on the panels it runs with", IC, OC);
    }
}

// fp16 conversion: the SIMD one must give the reference's bits (round to nearest even, subnormal
// halves, overflow to infinity); the reference must round-trip every half.
static void test_half() {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        const float f = f32_from_f16_scalar(uint16_t(h));
        bad += std::isnan(f) ? !std::isnan(f32_from_f16_scalar(f16_from_f32_scalar(f))) : f16_from_f32_scalar(f) != h;
    }
    EXPECT_MSG(bad == 0, "%d halves do not round-trip through float", bad);
    struct Case { float f; uint16_t h; };
    const Case known[] = {{1.0f, 0x3c00}, {-2.0f, 0xc000}, {65504.0f, 0x7bff}, {65519.0f, 0x7bff}, {65520.0f, 0x7c00},
                          {1e9f, 0x7c00}, {0x1p-14f, 0x0400}, {0x1p-24f, 0x0001}, {0x1p-25f, 0x0000},
                          {0x1.8p-24f, 0x0002}, {0x1.8p-25f, 0x0001}, {-0.0f, 0x8000}, {1.0f + 0x1p-11f, 0x3c00},
                          {1.0f + 0x1.8p-11f, 0x3c01}, {1.0f + 0x1.8p-10f, 0x3c02}, {INFINITY, 0x7c00}};
    for (const Case & c : known)
        EXPECT_MSG(f16_from_f32_scalar(c.f) == c.h, "f16(%a) = 0x%04x, expected 0x%04x", double(c.f),
                   f16_from_f32_scalar(c.f), c.h);
    // the SIMD conversion against the reference: random magnitudes from subnormal to overflow, the
    // exact midpoints between neighbouring halves, the known cases; odd lengths for the leftovers
    std::vector<float> src;
    for (int i = 0; i < 4000; i++) src.push_back(float(g_rng.normal()) * std::ldexp(1.0f, int(g_rng.below(50)) - 30));
    for (uint32_t h = 0; h < 0x7bff; h += 37) src.push_back(0.5f * (f32_from_f16_scalar(uint16_t(h)) + f32_from_f16_scalar(uint16_t(h + 1))));
    for (const Case & c : known) src.push_back(c.f);
    src.push_back(NAN);
    for (size_t n : {src.size(), size_t(1), size_t(7), size_t(13)}) {
        std::vector<uint16_t> h0(n), h1(n);
        f16_from_f32_ref(h0.data(), src.data(), n);
        f16_from_f32(h1.data(), src.data(), n);
        int diff = 0;
        for (size_t i = 0; i < n; i++)
            diff += std::isnan(src[i]) ? !std::isnan(f32_from_f16_scalar(h1[i])) : h0[i] != h1[i];
        EXPECT_MSG(diff == 0, "f16_from_f32 n=%zu: %d values differ from the reference", n, diff);
    }
    std::printf("  %-44s bitwise equal to the reference\n", "f16_from_f32");
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
    std::vector<float> y0(C), y1(C), y2(C, 7.0f);
    attention_decode_ref(y0.data(), q.data(), k.data(), v.data(), len, C, NH, 0, NH);
    attention_decode(y1.data(), q.data(), k.data(), v.data(), len, C, NH, 0, NH);
    std::snprintf(label, sizeof label, "attention_decode len=%d C=%d NH=%d", len, C, NH);
    compare(label, y0, y1);
    // a range of heads writes those heads only, with the same values
    const int hs = C / NH, h0 = NH > 1 ? 1 : 0;
    attention_decode(y2.data(), q.data(), k.data(), v.data(), len, C, NH, h0, NH);
    bool ok = true;
    for (int i = 0; i < C; i++) ok &= i < h0 * hs ? y2[i] == 7.0f : y2[i] == y1[i];
    EXPECT_MSG(ok, "attention_decode heads [%d, %d) of %d", h0, NH, NH);
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
    if (N > 2) tgt[1] = kIgnoreTarget;  // a padding row: no loss, no gradient
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
    if (N > 2) {
        EXPECT_MSG(l0[1] == 0.0f && l1[1] == 0.0f, "an ignored target has a loss");
        auto d = rnd(N * V), before = d;
        crossentropy_backward(d.data(), p0.data(), tgt.data(), 0.37f, N, V);
        EXPECT_MSG(std::equal(d.begin() + V, d.begin() + 2 * V, before.begin() + V), "an ignored target has a gradient");
    }
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
    for (auto [IC, OC] : {std::pair<int, int>{1, 1}, {7, 5}, {9, 17}, {33, 70}, {128, 384}, {520, 9}, {16, 8}, {24, 37}})
        test_matvec(IC, OC);
    test_half();
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
