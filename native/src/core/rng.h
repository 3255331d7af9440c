// Rng: xoshiro256** seeded through splitmix64. Small, fast, and its whole state is four words,
// which the checkpoint stores so that a resumed run draws exactly the numbers it would have drawn.
#pragma once
#include <cstdint>

namespace mg {

struct Rng {
    uint64_t s[4];

    explicit Rng(uint64_t seed = 1);
    uint64_t next_u64();
    uint32_t below(uint32_t n);  // uniform in [0, n)
    float uniform();             // uniform in [0, 1)
    float normal();              // standard normal (Box-Muller)
    int poisson(double mean);    // Knuth's method; fine for the small means we use
};

}  // namespace mg
