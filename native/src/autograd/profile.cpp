#include "autograd/profile.h"

namespace mg {

OpProfile & op_profile() {
    thread_local OpProfile p;
    return p;
}

const char * op_kind_name(int kind) {
    static const char * const names[kProfileSlots] = {"encoder", "matmul", "rmsnorm",      "attention", "gelu",
                                                      "residual", "concat", "crossentropy", "dropout",   "adamw"};
    return kind >= 0 && kind < kProfileSlots ? names[kind] : "?";
}

}  // namespace mg
