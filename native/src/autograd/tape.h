// Tape: tensor-level reverse-mode autodiff.
// Ops run eagerly and, while the tape is recording, push one entry {op, out, inputs, saved}.
// backward() walks the entries in reverse, calling each op's <op>_backward kernel.
// Activation gradients are lazy: a tensor's gradient buffer is taken when the first op that
// consumes it runs backward and given back once its producer has run, so only the gradients
// live at one point of the backward walk hold memory, never one per activation. Activations,
// saved values and gradients come from two arenas that reset() rewinds, so a training step
// reuses the same memory every time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/arena.h"

namespace mg {

// A 2-D view (rows, cols) of float data. Parameters and test leaves carry their own grad
// buffer; an activation that a gradient will flow to has needs_grad set and gets its grad
// during backward(). Neither: constants, detached recursion state, anything made while not
// recording.
struct Tensor {
    float * data = nullptr;
    float * grad = nullptr;
    bool needs_grad = false;
    bool wants_grad() const { return grad || needs_grad; }
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
    OP_KIND_DROPOUT,
    OP_KIND_COUNT,
};

struct TapeEntry {
    OpKind op;
    Tensor * out;         // null for crossentropy, whose output is the scalar loss
    Tensor * in[2];       // activations or parameters
    float * saved;        // rmsnorm: rstd (N); attention: att (B,NH,T,T); crossentropy: probs (N,V)
    const int * ids;      // encoder: tokens (B,T); crossentropy: targets (N)
    int B, T, NH;
    float scale;          // crossentropy: d(objective)/d(each counted row's loss); dropout: p
    uint64_t seed;        // dropout: the mask's
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
    // Takes each arena whole (train/memory-plan.h computes the sizes), so steps never grow them.
    void reserve(size_t acts_bytes, size_t grads_bytes) {
        acts.reserve(acts_bytes);
        grads.reserve(grads_bytes);
    }

    Arena acts;   // tensor structs, activations and saved values
    Arena grads;  // activation gradients, recycled through free_ within a backward walk

    void push(const TapeEntry & e);

private:
    float * grad_take(size_t n);             // a zeroed gradient buffer of n floats
    void grad_give(float * p, size_t n);     // back to the pool for the next tensor of that size

    struct FreeGrad { size_t n; float * p; };
    std::vector<TapeEntry> entries_;
    std::vector<FreeGrad> free_;
    size_t entry_growths_ = 0;
};

}  // namespace mg
