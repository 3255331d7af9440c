// crossentropy (softmax fused with the NLL), written once for every SIMD target on the vector
// helpers an ISA file defines before including it (see attention-simd.h):
//   MG_VEC_AXPY  MG_VEC_SCALE  MG_VEC_EXP_SHIFT_SUM  and  MG_CROSSENTROPY(op) for the kernel names
// losses (N), probs (N,V), logits (N,V), targets (N); a negative target has no loss and no gradient
#include <cmath>
#include <cstring>

namespace mg {

void MG_CROSSENTROPY(forward)(float * losses, float * probs, const float * logits, const int * targets, size_t N,
                              int V) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        const float * z = logits + n * V;
        float * p = probs + n * V;
        float maxv = z[0];
        for (int i = 1; i < V; i++) maxv = z[i] > maxv ? z[i] : maxv;
        std::memcpy(p, z, V * sizeof(float));
        const float sum = MG_VEC_EXP_SHIFT_SUM(p, V, maxv);
        MG_VEC_SCALE(p, 1.0f / sum, V);
        // log-sum-exp form keeps the loss finite even when the target's probability underflows
        losses[n] = targets[n] < 0 ? 0.0f : std::log(sum) + maxv - z[targets[n]];
    }
}

// dlogits[n,i] += dloss * (probs[n,i] - [i == targets[n]])
void MG_CROSSENTROPY(backward)(float * dlogits, const float * probs, const int * targets, float dloss, size_t N,
                               int V) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        if (targets[n] < 0) continue;
        MG_VEC_AXPY(dlogits + n * V, dloss, probs + n * V, V);
        dlogits[n * V + targets[n]] -= dloss;
    }
}

}  // namespace mg
