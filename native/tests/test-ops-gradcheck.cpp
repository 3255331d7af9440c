// Every op's backward against central finite differences of its forward.
// For an op with output y we check d/dx of sum(y * r) for a fixed random r.
#include <algorithm>
#include <cmath>
#include <functional>

#include "autograd/ops.h"
#include "kernels/dispatch.h"
#include "gradcheck.h"
#include "test-util.h"

using namespace mg;
using namespace mgtest;

struct Leaf {
    std::vector<float> data, grad;
    Tensor t;
    Leaf(size_t rows, int cols, Rng & rng, float scale = 1.0f, float offset = 0.0f)
        : data(randn(rows * cols, rng, scale)), grad(rows * cols, 0.0f) {
        for (auto & x : data) x += offset;
        t.data = data.data();
        t.grad = grad.data();
        t.rows = rows;
        t.cols = cols;
    }
};

static bool check_op(const char * name, const std::vector<Leaf *> & leaves, const std::function<Tensor *(Tape &)> & build,
                     GradTolerance tol = {}) {
    Rng rng(99);
    Tape tape;
    Tensor * out = build(tape);
    std::vector<float> seed = randn(out->size(), rng);
    for (Leaf * l : leaves) std::fill(l->grad.begin(), l->grad.end(), 0.0f);
    tape.backward(out, seed.data());
    std::vector<std::vector<float>> analytic;
    for (Leaf * l : leaves) analytic.push_back(l->grad);
    auto objective = [&] {
        tape.reset();
        tape.recording = false;
        Tensor * o = build(tape);
        double s = 0;
        for (size_t i = 0; i < o->size(); i++) s += double(o->data[i]) * seed[i];
        tape.recording = true;
        return s;
    };
    bool ok = true;
    for (size_t k = 0; k < leaves.size(); k++) {
        std::string label = std::string(name) + " d" + std::to_string(k);
        ok &= report(label.c_str(), check_gradient(leaves[k]->data.data(), analytic[k].data(), leaves[k]->data.size(),
                                                  objective, tol));
    }
    return ok;
}

int main() {
    Rng rng(1234);
    // shapes are deliberately odd: not multiples of any vector width, and some of size 1
    {
        const int B = 2, T = 3, C = 5, V = 4;
        Leaf wte(V, C, rng), wpe(T, C, rng);
        std::vector<int> ids = {0, 3, 3, 1, 0, 2};  // repeated ids exercise the scatter-add
        EXPECT(check_op("encoder", {&wte, &wpe}, [&](Tape & t) { return op_encoder(t, ids.data(), B, T, &wte.t, &wpe.t); }));
    }
    for (auto [N, IC, OC] : {std::tuple{5, 7, 3}, {1, 1, 1}, {3, 17, 9}}) {
        Leaf x(N, IC, rng), w(OC, IC, rng);
        EXPECT(check_op("matmul", {&x, &w}, [&](Tape & t) { return op_matmul(t, &x.t, &w.t); }));
    }
    {
        Leaf x(4, 7, rng), w(1, 7, rng, 0.3f, 1.0f);
        EXPECT(check_op("rmsnorm", {&x, &w}, [&](Tape & t) { return op_rmsnorm(t, &x.t, &w.t); }));
    }
    for (auto [B, T, C, NH] : {std::tuple{2, 5, 8, 2}, {1, 1, 3, 1}, {1, 7, 6, 3}}) {
        Leaf qkv(size_t(B) * T, 3 * C, rng);
        EXPECT(check_op("attention", {&qkv}, [&, B = B, T = T, NH = NH](Tape & t) {
            return op_attention(t, &qkv.t, B, T, NH);
        }));
    }
    {
        Leaf x(3, 11, rng, 1.5f);
        EXPECT(check_op("gelu", {&x}, [&](Tape & t) { return op_gelu(t, &x.t); }, {1e-3f, 2e-3f, 1e-2f}));
    }
    {
        Leaf a(3, 5, rng), b(3, 5, rng);
        EXPECT(check_op("residual", {&a, &b}, [&](Tape & t) { return op_residual(t, &a.t, &b.t); }));
    }
    {
        Leaf a(4, 3, rng), b(4, 5, rng);
        EXPECT(check_op("concat", {&a, &b}, [&](Tape & t) { return op_concat(t, &a.t, &b.t); }));
    }
    {
        Leaf x(5, 9, rng);
        EXPECT(check_op("dropout", {&x}, [&](Tape & t) { return op_dropout(t, &x.t, 0.3f, 77); }));
        // the mask: about 1 - p kept, scaled by 1 / (1 - p), the same for a seed, another for another seed
        const size_t N = 200000;
        std::vector<float> ones(N, 1.0f), a(N), b(N), c(N);
        dropout_forward(a.data(), ones.data(), 0.25f, 5, N);
        dropout_forward(b.data(), ones.data(), 0.25f, 5, N);
        dropout_forward(c.data(), ones.data(), 0.25f, 6, N);
        size_t kept = 0, same = 0;
        bool scaled = true;
        for (size_t i = 0; i < N; i++) {
            kept += a[i] != 0.0f;
            same += (a[i] != 0.0f) == (c[i] != 0.0f);
            scaled &= a[i] == 0.0f || std::fabs(a[i] - 1.0f / 0.75f) < 1e-6f;
        }
        std::printf("  dropout 0.25: kept %.4f, the same as another seed's mask %.4f\n", double(kept) / N, double(same) / N);
        EXPECT(a == b && scaled);
        EXPECT(std::fabs(double(kept) / N - 0.75) < 0.005);
        EXPECT(std::fabs(double(same) / N - (0.75 * 0.75 + 0.25 * 0.25)) < 0.005);  // independent masks
        std::vector<float> zero(N, 0.0f), d(N, 0.0f);
        dropout_forward(zero.data(), ones.data(), 0.0f, 5, N);
        EXPECT(zero == ones);  // p = 0 keeps everything
        dropout_backward(d.data(), ones.data(), 0.25f, 5, N);
        EXPECT(d == a);  // the backward's mask is the forward's
    }
    {
        // crossentropy: the objective is the mean loss itself
        const int N = 6, V = 7;
        Leaf logits(N, V, rng, 2.0f);
        std::vector<int> targets = {0, 6, 3, 3, 1, 5};
        Tape tape;
        std::fill(logits.grad.begin(), logits.grad.end(), 0.0f);
        op_crossentropy(tape, &logits.t, targets.data(), 1.0f);
        tape.backward();
        std::vector<float> analytic = logits.grad;
        auto objective = [&] {
            tape.reset();
            tape.recording = false;
            double l = op_crossentropy(tape, &logits.t, targets.data(), 1.0f);
            tape.recording = true;
            return l;
        };
        EXPECT(report("crossentropy dlogits",
                      check_gradient(logits.data.data(), analytic.data(), logits.data.size(), objective, {})));
        // padding rows: ignored targets add no loss and no gradient, and the mean is over the rest
        std::vector<int> padded = {0, kIgnoreTarget, 3, kIgnoreTarget, 1, 5};
        targets = padded;
        std::fill(logits.grad.begin(), logits.grad.end(), 0.0f);
        tape.reset();
        const float padded_loss = op_crossentropy(tape, &logits.t, targets.data(), 1.0f);
        tape.backward();
        analytic = logits.grad;
        EXPECT(report("crossentropy dlogits, ignored targets",
                      check_gradient(logits.data.data(), analytic.data(), logits.data.size(), objective, {})));
        double mean = 0;
        for (int n : {0, 2, 4, 5}) {
            const float * z = logits.data.data() + size_t(n) * V;
            double mx = z[0], s = 0;
            for (int i = 1; i < V; i++) mx = std::max(mx, double(z[i]));
            for (int i = 0; i < V; i++) s += std::exp(z[i] - mx);
            mean += (std::log(s) + mx - z[targets[n]]) / 4.0;
        }
        EXPECT_MSG(std::fabs(padded_loss - mean) < 1e-5, "the mean loss over the counted rows is wrong");
        for (int i = V; i < 2 * V; i++) EXPECT_MSG(analytic[i] == 0.0f, "an ignored row has a gradient");
    }
    return finish("test-ops-gradcheck");
}
