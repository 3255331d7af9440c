#include "autograd/tape.h"

#include <algorithm>
#include <cstring>
#include <new>

#include "autograd/profile.h"
#include "core/error.h"
#include "kernels/dispatch.h"

namespace mg {

Tape::Tape() : acts(size_t(4) << 20), grads(size_t(4) << 20) {
    entries_.reserve(1024);
    free_.reserve(256);
}

Tensor * Tape::new_tensor(size_t rows, int cols, bool with_grad) {
    Tensor * t = new (acts.alloc_bytes(sizeof(Tensor))) Tensor();
    t->rows = rows;
    t->cols = cols;
    t->data = acts.alloc_floats(t->size());
    t->needs_grad = with_grad && recording;
    return t;
}

Tensor * Tape::zeros(size_t rows, int cols) {
    Tensor * t = new_tensor(rows, cols, false);
    std::memset(t->data, 0, t->size() * sizeof(float));
    return t;
}

void Tape::push(const TapeEntry & e) {
    if (entries_.size() == entries_.capacity()) entry_growths_++;
    entries_.push_back(e);
}

void Tape::reset() {
    entries_.clear();
    free_.clear();
    acts.reset();
    grads.reset();
}

size_t Tape::heap_allocs() const { return acts.block_allocs() + grads.block_allocs() + entry_growths_; }

// The walk takes and gives back buffers in the same order every step, so after the first step
// every take is served from the pool or from arena memory already held.
float * Tape::grad_take(size_t n) {
    float * p = nullptr;
    for (size_t i = free_.size(); i-- > 0;) {
        if (free_[i].n != n) continue;
        p = free_[i].p;
        free_.erase(free_.begin() + i);
        break;
    }
    if (!p) p = grads.alloc_floats(n);
    // both cores clear a large buffer (an 8gb activation gradient is 2 MiB): on one, the other
    // core waited through 2% of a step
    constexpr size_t chunk = size_t(1) << 15;
#pragma omp parallel for schedule(static) if (n >= 4 * chunk)
    for (size_t c = 0; c < n; c += chunk) std::memset(p + c, 0, std::min(chunk, n - c) * sizeof(float));
    return p;
}

void Tape::grad_give(float * p, size_t n) {
    if (free_.size() == free_.capacity()) entry_growths_++;
    free_.push_back({n, p});
}

void Tape::backward(Tensor * out, const float * dout) {
    MG_CHECK(!entries_.empty(), "backward() on an empty tape: nothing was recorded");
    MG_CHECK(out || entries_.back().op == OP_KIND_CROSSENTROPY,
             "backward() needs a recorded loss: the last op on the tape must be crossentropy");
    free_.clear();
    grads.reset();
    if (out) {
        MG_CHECK(out->needs_grad && !out->grad && dout, "backward(out, dout): out is not a recorded activation or dout is missing");
        out->grad = grad_take(out->size());
        std::memcpy(out->grad, dout, out->size() * sizeof(float));
    }
    for (size_t i = entries_.size(); i-- > 0;) {
        const TapeEntry & e = entries_[i];
        // an output nothing downstream used has a zero gradient: nothing to propagate
        if (e.out && !e.out->grad) continue;
        Tensor * a = e.in[0];
        Tensor * b = e.in[1];
        for (Tensor * t : {a, b})
            if (t && t->needs_grad && !t->grad) t->grad = grad_take(t->size());
        float * da = a ? a->grad : nullptr;
        float * db = b ? b->grad : nullptr;
        const float * dout = e.out ? e.out->grad : nullptr;
        ProfileScope timed(e.op, true);
        switch (e.op) {
            case OP_KIND_ENCODER:
                encoder_backward(da, db, dout, e.ids, e.B, e.T, a->cols);
                break;
            case OP_KIND_MATMUL:
                matmul_backward(da, db, dout, a->data, b->data, a->rows, a->cols, int(b->rows));
                break;
            case OP_KIND_RMSNORM:
                rmsnorm_backward(da, db, dout, a->data, b->data, e.saved, a->rows, a->cols);
                break;
            case OP_KIND_ATTENTION:
                attention_backward(da, dout, a->data, e.saved, e.B, e.T, a->cols / 3, e.NH);
                break;
            case OP_KIND_GELU:
                gelu_backward(da, dout, a->data, a->size());
                break;
            case OP_KIND_RESIDUAL:
                residual_backward(da, db, dout, a->size());
                break;
            case OP_KIND_DROPOUT:
                dropout_backward(da, dout, e.scale, e.seed, a->size());
                break;
            case OP_KIND_CONCAT:
                concat_backward(da, db, dout, a->rows, a->cols, b->cols);
                break;
            case OP_KIND_CROSSENTROPY:
                crossentropy_backward(da, e.saved, e.ids, e.scale, a->rows, a->cols);
                break;
            default:
                MG_THROW("unknown op on the tape");
        }
        // this entry produced e.out, so no earlier entry reads its gradient again
        if (e.out && e.out->needs_grad) {
            grad_give(e.out->grad, e.out->size());
            e.out->grad = nullptr;
        }
    }
}

}  // namespace mg
