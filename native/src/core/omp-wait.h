// How long idle OpenMP threads spin before they sleep: a process-wide choice, made once.
#pragma once

namespace mg {

// libgomp reads its environment when it loads, before main. Unless the user chose a policy
// (OMP_WAIT_POLICY or GOMP_SPINCOUNT), this sets GOMP_SPINCOUNT to 10000 and re-executes the
// program once. Measured on 2 cores (medians):
//   idle:          passive waiting cut 8gb KV-cache generation from 15,700 to 1,500 tok/s;
//                  a 10k spin count matched the default (15,700 tok/s, training within noise)
//   one core busy: 10k matched the default (gen 8,600 vs 7,500, train 7,700 vs 8,100 tok/s)
//   both busy:     20 tiny steps took 856 ms with the default spin, 83 ms with 10k
// If the re-exec fails the program simply runs with libgomp's defaults.
void prefer_short_spin_waits(char ** argv);

}  // namespace mg
