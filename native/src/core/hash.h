// FNV-1a over 64-bit words: the checkpoint checksum and the training data's fingerprint.
// Word-wise rather than byte-wise so hashing a 300 MB checkpoint stays well under a second.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mg {

struct Hasher {
    uint64_t h = 0xcbf29ce484222325ULL;
    uint64_t pending = 0;
    int npending = 0;

    void update(const void * data, size_t n) {
        const unsigned char * p = static_cast<const unsigned char *>(data);
        while (n > 0 && npending != 0) {
            pending |= uint64_t(*p++) << (8 * npending);
            n--;
            if (++npending == 8) mix(pending), pending = 0, npending = 0;
        }
        for (; n >= 8; n -= 8, p += 8) {
            uint64_t w;
            std::memcpy(&w, p, 8);
            mix(w);
        }
        while (n-- > 0) pending |= uint64_t(*p++) << (8 * npending++);
    }
    uint64_t digest() const {
        Hasher c = *this;
        if (c.npending) c.mix(c.pending ^ (uint64_t(c.npending) << 56));
        return c.h;
    }

private:
    void mix(uint64_t w) {
        h ^= w;
        h *= 0x100000001b3ULL;
        h ^= h >> 29;  // FNV alone mixes high bits poorly when fed whole words
    }
};

}  // namespace mg
