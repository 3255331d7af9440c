// Op profile: where a training step's time goes, per op kind, forward and backward apart, plus
// the optimizer. Off unless a caller (the benchmark) turns it on; thread-local, so two engine
// threads never mix their numbers. The bench prints it as the "what bounds it" for each target.
#pragma once
#include <chrono>

#include "autograd/tape.h"

namespace mg {

inline constexpr int kProfileSlots = OP_KIND_COUNT + 1;  // op kinds, then the optimizer
inline constexpr int kProfileAdamw = OP_KIND_COUNT;

struct OpProfile {
    bool enabled = false;
    double forward[kProfileSlots] = {};
    double backward[kProfileSlots] = {};
    void clear() { *this = OpProfile{enabled}; }
};

OpProfile & op_profile();
const char * op_kind_name(int kind);  // "matmul", ..., "adamw"

// Adds the scope's wall time to one slot while the profile is enabled.
class ProfileScope {
public:
    ProfileScope(int kind, bool backward) : slot_(nullptr) {
        OpProfile & p = op_profile();
        if (!p.enabled) return;
        slot_ = backward ? &p.backward[kind] : &p.forward[kind];
        t0_ = std::chrono::steady_clock::now();
    }
    ~ProfileScope() {
        if (slot_) *slot_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    }

private:
    double * slot_;
    std::chrono::steady_clock::time_point t0_;
};

}  // namespace mg
