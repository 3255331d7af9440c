#include "core/arena.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"

namespace mg {

static constexpr size_t kAlign = 64;

Arena::Arena(size_t block_bytes) : block_bytes_(block_bytes) { blocks_.reserve(64); }

Arena::~Arena() {
    for (auto & b : blocks_) std::free(b.ptr);
}

void * Arena::alloc_bytes(size_t bytes) {
    bytes = (bytes + kAlign - 1) & ~(kAlign - 1);
    while (current_ < blocks_.size()) {
        Block & b = blocks_[current_];
        if (offset_ + bytes <= b.size) {
            void * p = b.ptr + offset_;
            offset_ += bytes;
            if (offset_ > b.high) b.high = offset_;
            return p;
        }
        // does not fit: move on to the next block (the tail of this one stays unused this step)
        current_++;
        offset_ = 0;
    }
    size_t size = bytes > block_bytes_ ? bytes : block_bytes_;
    char * p = static_cast<char *>(std::aligned_alloc(kAlign, size));
    if (!p) MG_THROW_CODE(errc::kOutOfMemory, "out of memory allocating " + std::to_string(size >> 20) + " MiB of activations",
                          "use a smaller batch size, sequence length or model preset");
    blocks_.push_back({p, size, bytes});
    block_allocs_++;
    current_ = blocks_.size() - 1;
    offset_ = bytes;
    return p;
}

void Arena::reserve(size_t bytes) {
    MG_CHECK(current_ == 0 && offset_ == 0, "Arena::reserve while the arena is in use");
    bytes = (bytes + kAlign - 1) & ~(kAlign - 1);
    if (bytes == 0 || (blocks_.size() == 1 && blocks_[0].size >= bytes)) return;
    char * p = static_cast<char *>(std::aligned_alloc(kAlign, bytes));
    if (!p) MG_THROW_CODE(errc::kOutOfMemory, "out of memory reserving " + std::to_string(bytes >> 20) + " MiB of activations",
                          "use a smaller batch size, sequence length or model preset");
    for (auto & b : blocks_) std::free(b.ptr);
    blocks_.clear();
    blocks_.push_back({p, bytes, 0});
    block_allocs_++;
}

size_t Arena::high_water() const {
    size_t s = 0;
    for (auto & b : blocks_) s += b.high;
    return s;
}

float * Arena::alloc_zeroed(size_t n) {
    float * p = alloc_floats(n);
    std::memset(p, 0, n * sizeof(float));
    return p;
}

void Arena::reset_to(Mark m) {
    current_ = m.block;
    offset_ = m.offset;
}

size_t Arena::bytes_reserved() const {
    size_t s = 0;
    for (auto & b : blocks_) s += b.size;
    return s;
}

size_t Arena::bytes_used() const {
    size_t s = offset_;
    for (size_t i = 0; i < current_ && i < blocks_.size(); i++) s += blocks_[i].high;
    return s;
}

}  // namespace mg
