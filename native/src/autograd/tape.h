// Tape: tensor-level reverse-mode autodiff.
// Ops run eagerly and, while the tape is recording, push one entry {op, out, inputs, saved}.
// backward() zeroes the activation gradients and walks the entries in reverse, calling each
// op's <op>_backward kernel. Activations, saved values and gradients all come from two arenas
// that reset() rewinds, so a training step reuses the same memory every time.
#pragma once
#include <cstddef>
#include <vector>

#include "core/arena.h"

namespace mg {

// A 2-D view (rows, cols) of float data. grad is null when no gradient flows to this tensor
// (constants, detached recursion state, or anything created while not recording).
struct Tensor {
    float * data = nullptr;
    float * grad = nullptr;
    size_t rows = 0;
    int cols = 0;
    size_t size() const { return rows * size_t(cols); }
};

enum OpKind {
    OP_KIND_ENCODER,
    OP_KIND_MATMUL,
    OP_KIND_RMSNORM,
    OP_KIND_ATTENTION,
    OP_KIND_GELU,
    OP_KIND_RESIDUAL,
    OP_KIND_CONCAT,
    OP_KIND_CROSSENTROPY,
};

struct TapeEntry {
    OpKind op;
    Tensor * out;         // null for crossentropy, whose output is the scalar loss
    Tensor * in[2];       // activations or parameters
    float * saved;        // rmsnorm: rstd (N); attention: att (B,NH,T,T); crossentropy: probs (N,V)
    const int * ids;      // encoder: tokens (B,T); crossentropy: targets (N)
    int B, T, NH;
    float scale;          // crossentropy: d(objective)/d(mean loss)
};

class Tape {
public:
    Tape();
    bool recording = true;  // false: run ops without recording or allocating gradients

    Tensor * new_tensor(size_t rows, int cols, bool with_grad);
    Tensor * zeros(size_t rows, int cols);  // a constant
    // Backpropagates from the recorded crossentropy loss or, when out is given, from out with
    // the seed gradient dout (op tests use this).
    void backward(Tensor * out = nullptr, const float * dout = nullptr);
    void reset();                           // forget everything since the last reset

    size_t num_entries() const { return entries_.size(); }
    size_t heap_allocs() const;             // arena blocks plus entry-vector growths, for tests
    size_t bytes_reserved() const { return acts.bytes_reserved() + grads.bytes_reserved(); }

    Arena acts;   // tensor structs, activations and saved values
    Arena grads;  // activation gradients

    void push(const TapeEntry & e);

private:
    std::vector<TapeEntry> entries_;
    size_t entry_growths_ = 0;
};

}  // namespace mg
