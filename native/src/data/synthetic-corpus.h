// A deterministic generator of simple English prose from a small grammar. It gives the tests a
// corpus of any size without shipping one, and the no-argument demo something to learn. The
// grammar's word choices cap how low a character model's loss can go (about 1 nat per
// character), so a model that learns spelling, spacing and sentence shape shows it clearly.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace mg {

std::string synthetic_corpus(size_t min_bytes, uint64_t seed);

}  // namespace mg
