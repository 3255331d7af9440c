// Tiny test helpers: no framework, so the same tests build natively and cross-compiled for arm64.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "model/config.h"

namespace mgtest {

inline int & failures() {
    static int n = 0;
    return n;
}

#define EXPECT(cond)                                                                    \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            std::printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);                 \
            mgtest::failures()++;                                                       \
        }                                                                               \
    } while (0)

#define EXPECT_MSG(cond, ...)                                                           \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            std::printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                 \
            std::printf(__VA_ARGS__);                                                   \
            std::printf("\n");                                                          \
            mgtest::failures()++;                                                       \
        }                                                                               \
    } while (0)

// Runs fn and expects an mg::error whose message contains `needle`.
inline void expect_error(const std::function<void()> & fn, const std::string & needle, const char * file, int line) {
    try {
        fn();
        std::printf("FAIL %s:%d: expected an error containing \"%s\", got none\n", file, line, needle.c_str());
        failures()++;
    } catch (const mg::error & e) {
        if (std::string(e.what()).find(needle) == std::string::npos) {
            std::printf("FAIL %s:%d: error \"%s\" does not contain \"%s\"\n", file, line, e.what(), needle.c_str());
            failures()++;
        }
    }
}
#define EXPECT_ERROR(stmt, needle) mgtest::expect_error([&] { stmt; }, needle, __FILE__, __LINE__)

// MG_TEST_REDUCED=1 (set by ctest when the tests run under qemu): long tests run a shorter version.
// A preset with its recursion switched on (the presets build plain GPTs): the tests written for
// the recursion's paths (passes, truncated backprop, adaptive depth) train this.
inline mg::ModelConfig recursive_preset(const std::string & name, int max_passes = 4) {
    mg::ModelConfig c = mg::model_preset(name);
    c.max_passes = max_passes;
    return c;
}

inline bool reduced() {
    const char * v = std::getenv("MG_TEST_REDUCED");
    return v && *v && *v != '0';
}

inline std::vector<float> randn(size_t n, mg::Rng & rng, float scale = 1.0f) {
    std::vector<float> v(n);
    for (auto & x : v) x = scale * rng.normal();
    return v;
}

inline int finish(const char * name) {
    if (failures()) {
        std::printf("%s: %d failure(s)\n", name, failures());
        return 1;
    }
    std::printf("%s: all passed\n", name);
    return 0;
}

}  // namespace mgtest
