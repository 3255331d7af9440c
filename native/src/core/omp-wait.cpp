#include "core/omp-wait.h"

#include <unistd.h>

#include <cstdlib>

namespace mg {

void prefer_short_spin_waits(char ** argv) {
    if (std::getenv("OMP_WAIT_POLICY") || std::getenv("GOMP_SPINCOUNT")) return;
    setenv("GOMP_SPINCOUNT", "10000", 1);
    execv("/proc/self/exe", argv);
}

}  // namespace mg
