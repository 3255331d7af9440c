// The fuzz build is serial: no OpenMP runtime under the sanitizers (the engine's pragmas are
// ignored without -fopenmp). These are the few OpenMP calls the fuzzed sources make.
#pragma once

inline int omp_get_max_threads() { return 1; }
inline int omp_get_num_threads() { return 1; }
inline int omp_get_thread_num() { return 0; }
inline void omp_set_num_threads(int) {}
