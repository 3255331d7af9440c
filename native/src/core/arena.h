// Arena: a bump allocator for activations and their gradients.
// A training step allocates every activation from the arena and releases them all at once with
// reset(). Blocks are kept across resets, so once the largest step has been seen (the most
// recursive passes) the steady-state loop performs no heap allocation; block_allocs() counts the
// heap allocations so tests can prove it.
#pragma once
#include <cstddef>
#include <vector>

namespace mg {

class Arena {
public:
    explicit Arena(size_t block_bytes = size_t(8) << 20);
    ~Arena();
    Arena(const Arena &) = delete;
    Arena & operator=(const Arena &) = delete;

    void * alloc_bytes(size_t bytes);                      // 64-byte aligned, uninitialised
    float * alloc_floats(size_t n) { return static_cast<float *>(alloc_bytes(n * sizeof(float))); }
    float * alloc_zeroed(size_t n);

    struct Mark { size_t block; size_t offset; };
    Mark mark() const { return {current_, offset_}; }
    void reset_to(Mark m);                                 // frees everything allocated after m
    void reset() { reset_to({0, 0}); }
    // Replaces the blocks by one of `bytes`, when nothing is in use: a trainer that knows its
    // largest step (train/memory-plan.h) takes its whole arena at once, so it never grows.
    void reserve(size_t bytes);

    size_t bytes_reserved() const;                         // heap bytes held
    size_t bytes_used() const;                             // bytes handed out since the last reset
    size_t high_water() const;                             // the most bytes ever in use at once
    size_t block_allocs() const { return block_allocs_; }  // heap allocations ever made

private:
    struct Block { char * ptr; size_t size; size_t high; };  // high: the most ever used since reset
    std::vector<Block> blocks_;
    size_t current_ = 0, offset_ = 0, block_bytes_, block_allocs_ = 0;
};

}  // namespace mg
