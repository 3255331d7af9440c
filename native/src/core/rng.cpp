#include "core/rng.h"

#include <cmath>

namespace mg {

static uint64_t splitmix64(uint64_t & x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

Rng::Rng(uint64_t seed) {
    uint64_t x = seed;
    for (auto & w : s) w = splitmix64(x);
}

uint64_t Rng::next_u64() {
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t Rng::below(uint32_t n) {
    // Lemire's multiply-shift; the tiny bias is irrelevant for picking batch offsets
    return uint32_t(((next_u64() >> 32) * uint64_t(n)) >> 32);
}

float Rng::uniform() { return float(next_u64() >> 40) * (1.0f / 16777216.0f); }

float Rng::normal() {
    double u1 = (double(next_u64() >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = double(next_u64() >> 11) * (1.0 / 9007199254740992.0);
    return float(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
}

int Rng::poisson(double mean) {
    if (mean <= 0) return 0;
    double limit = std::exp(-mean), p = 1.0;
    int k = 0;
    do {
        k++;
        p *= double(next_u64() >> 11) * (1.0 / 9007199254740992.0);
    } while (p > limit && k < 1000);
    return k - 1;
}

}  // namespace mg
