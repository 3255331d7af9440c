#include "autograd/ops.h"

#include "autograd/profile.h"
#include "core/error.h"
#include "kernels/dispatch.h"

namespace mg {

static bool wants_grad(const Tape & tape, const Tensor * a, const Tensor * b = nullptr) {
    return tape.recording && ((a && a->wants_grad()) || (b && b->wants_grad()));
}

static TapeEntry entry(OpKind op, Tensor * out, Tensor * a, Tensor * b = nullptr) {
    TapeEntry e{};
    e.op = op;
    e.out = out;
    e.in[0] = a;
    e.in[1] = b;
    return e;
}

Tensor * op_encoder(Tape & tape, const int * ids, int B, int T, Tensor * wte, Tensor * wpe) {
    const int C = wte->cols;
    bool g = wants_grad(tape, wte, wpe);
    Tensor * out = tape.new_tensor(size_t(B) * T, C, g);
    {
        ProfileScope timed(OP_KIND_ENCODER, false);
        encoder_forward(out->data, ids, wte->data, wpe->data, B, T, C);
    }
    if (g) {
        TapeEntry e = entry(OP_KIND_ENCODER, out, wte, wpe);
        e.ids = ids;
        e.B = B;
        e.T = T;
        tape.push(e);
    }
    return out;
}

// x (N,IC) times weight (OC,IC) transposed -> (N,OC)
Tensor * op_matmul(Tape & tape, Tensor * x, Tensor * weight) {
    MG_CHECK(x->cols == weight->cols, "matmul: inner dimensions differ");
    bool g = wants_grad(tape, x, weight);
    Tensor * out = tape.new_tensor(x->rows, int(weight->rows), g);
    {
        ProfileScope timed(OP_KIND_MATMUL, false);
        matmul_forward(out->data, x->data, weight->data, x->rows, x->cols, int(weight->rows));
    }
    if (g) tape.push(entry(OP_KIND_MATMUL, out, x, weight));
    return out;
}

Tensor * op_rmsnorm(Tape & tape, Tensor * x, Tensor * weight) {
    bool g = wants_grad(tape, x, weight);
    Tensor * out = tape.new_tensor(x->rows, x->cols, g);
    float * rstd = g ? tape.acts.alloc_floats(x->rows) : nullptr;
    {
        ProfileScope timed(OP_KIND_RMSNORM, false);
        rmsnorm_forward(out->data, rstd, x->data, weight->data, x->rows, x->cols);
    }
    if (g) {
        TapeEntry e = entry(OP_KIND_RMSNORM, out, x, weight);
        e.saved = rstd;
        tape.push(e);
    }
    return out;
}

Tensor * op_attention(Tape & tape, Tensor * qkv, int B, int T, int NH) {
    const int C = qkv->cols / 3;
    bool g = wants_grad(tape, qkv);
    Tensor * out = tape.new_tensor(qkv->rows, C, g);
    float * att = tape.acts.alloc_floats(size_t(B) * NH * T * T);
    {
        ProfileScope timed(OP_KIND_ATTENTION, false);
        attention_forward(out->data, att, qkv->data, B, T, C, NH);
    }
    if (g) {
        TapeEntry e = entry(OP_KIND_ATTENTION, out, qkv);
        e.saved = att;
        e.B = B;
        e.T = T;
        e.NH = NH;
        tape.push(e);
    }
    return out;
}

Tensor * op_gelu(Tape & tape, Tensor * x) {
    bool g = wants_grad(tape, x);
    Tensor * out = tape.new_tensor(x->rows, x->cols, g);
    {
        ProfileScope timed(OP_KIND_GELU, false);
        gelu_forward(out->data, x->data, x->size());
    }
    if (g) tape.push(entry(OP_KIND_GELU, out, x));
    return out;
}

Tensor * op_residual(Tape & tape, Tensor * a, Tensor * b) {
    MG_CHECK(a->size() == b->size(), "residual: shapes differ");
    bool g = wants_grad(tape, a, b);
    Tensor * out = tape.new_tensor(a->rows, a->cols, g);
    {
        ProfileScope timed(OP_KIND_RESIDUAL, false);
        residual_forward(out->data, a->data, b->data, a->size());
    }
    if (g) tape.push(entry(OP_KIND_RESIDUAL, out, a, b));
    return out;
}

Tensor * op_concat(Tape & tape, Tensor * a, Tensor * b) {
    MG_CHECK(a->rows == b->rows, "concat: row counts differ");
    bool g = wants_grad(tape, a, b);
    Tensor * out = tape.new_tensor(a->rows, a->cols + b->cols, g);
    {
        ProfileScope timed(OP_KIND_CONCAT, false);
        concat_forward(out->data, a->data, b->data, a->rows, a->cols, b->cols);
    }
    if (g) tape.push(entry(OP_KIND_CONCAT, out, a, b));
    return out;
}

Tensor * op_dropout(Tape & tape, Tensor * x, float p, uint64_t seed) {
    MG_CHECK(p >= 0.0f && p < 1.0f, "dropout: p must be in [0, 1)");
    bool g = wants_grad(tape, x);
    Tensor * out = tape.new_tensor(x->rows, x->cols, g);
    {
        ProfileScope timed(OP_KIND_DROPOUT, false);
        dropout_forward(out->data, x->data, p, seed, x->size());
    }
    if (g) {
        TapeEntry e = entry(OP_KIND_DROPOUT, out, x);
        e.scale = p;
        e.seed = seed;
        tape.push(e);
    }
    return out;
}

float op_crossentropy(Tape & tape, Tensor * logits, const int * targets, float scale) {
    const size_t N = logits->rows;
    const int V = logits->cols;
    size_t counted = 0;
    for (size_t n = 0; n < N; n++) {
        MG_CHECK(targets[n] == kIgnoreTarget || (targets[n] >= 0 && targets[n] < V), "crossentropy: target id out of range");
        counted += targets[n] >= 0;
    }
    MG_CHECK(counted > 0, "crossentropy: every target is ignored");
    float * losses = tape.acts.alloc_floats(N);
    float * probs = tape.acts.alloc_floats(N * size_t(V));
    {
        ProfileScope timed(OP_KIND_CROSSENTROPY, false);
        crossentropy_forward(losses, probs, logits->data, targets, N, V);
    }
    // summed serially in double: the reported loss must not depend on the thread count
    double sum = 0.0;
    for (size_t n = 0; n < N; n++) sum += losses[n];
    if (wants_grad(tape, logits)) {
        TapeEntry e = entry(OP_KIND_CROSSENTROPY, nullptr, logits);
        e.saved = probs;
        e.ids = targets;
        e.scale = scale / float(counted);
        tape.push(e);
    }
    return float(sum / double(counted));
}

}  // namespace mg
