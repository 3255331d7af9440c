// half: IEEE 754 binary16 ("fp16") storage for inference weights. Weights are converted once,
// rounded to nearest even; arithmetic stays fp32 (a half widens to a float exactly).
// dst (n) fp16 bits, src (n)
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernels/ref/ref.h"

namespace mg {

uint16_t f16_from_f32_scalar(float f) {
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    const uint32_t sign = (x >> 16) & 0x8000u, absx = x & 0x7fffffffu;
    if (absx > 0x7f800000u) return uint16_t(sign | 0x7e00u | ((absx >> 13) & 0x3ffu));  // NaN stays NaN, quiet
    if (absx >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // |f| >= 65520 rounds past the largest half: inf
    if (absx < 0x38800000u) {  // below 2^-14: a subnormal half m * 2^-24, m rounded to nearest even
        float a;
        std::memcpy(&a, &absx, sizeof a);
        return uint16_t(sign | uint32_t(std::nearbyint(a * 16777216.0f)));  // exact scaling; 1024 is 2^-14
    }
    // normal: rebias the exponent (127 -> 15), round 23 mantissa bits to 10, ties to even; a
    // mantissa carry steps into the exponent, which is the right rounding
    const uint32_t r = absx - 0x38000000u;
    return uint16_t(sign | ((r + 0xfffu + ((r >> 13) & 1u)) >> 13));
}

float f32_from_f16_scalar(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) return (sign ? -1.0f : 1.0f) * std::ldexp(float(m), -24);  // zero or subnormal
    const uint32_t bits = sign | (e == 31 ? 0x7f800000u : (e + 112) << 23) | (m << 13);
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

void f16_from_f32_ref(uint16_t * dst, const float * src, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = f16_from_f32_scalar(src[i]);
}

}  // namespace mg
