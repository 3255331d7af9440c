// crossentropy: softmax over the vocabulary fused with the negative log-likelihood.
//   probs[n,:] = softmax(logits[n,:]);  losses[n] = -log probs[n, targets[n]]
// losses (N), probs (N,V) saved for backward, logits (N,V), targets (N)
// A negative target (kIgnoreTarget: a padding position) has no loss and no gradient.
#include <cmath>

#include "kernels/ref/ref.h"

namespace mg {

void crossentropy_forward_ref(float * losses, float * probs, const float * logits, const int * targets, size_t N,
                              int V) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        const float * z = logits + n * V;
        float * p = probs + n * V;
        float maxv = z[0];
        for (int i = 1; i < V; i++)
            if (z[i] > maxv) maxv = z[i];
        float sum = 0.0f;
        for (int i = 0; i < V; i++) {
            p[i] = std::exp(z[i] - maxv);
            sum += p[i];
        }
        float inv = 1.0f / sum;
        for (int i = 0; i < V; i++) p[i] *= inv;
        // log-sum-exp form keeps the loss finite even when the target's probability underflows
        losses[n] = targets[n] < 0 ? 0.0f : std::log(sum) + maxv - z[targets[n]];
    }
}

// dlogits[n,i] += dloss * (probs[n,i] - [i == targets[n]]), dloss = d(objective)/d(losses[n]), the same for all n
void crossentropy_backward_ref(float * dlogits, const float * probs, const int * targets, float dloss, size_t N,
                               int V) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        if (targets[n] < 0) continue;
        const float * p = probs + n * V;
        float * d = dlogits + n * V;
        for (int i = 0; i < V; i++) d[i] += dloss * p[i];
        d[targets[n]] -= dloss;
    }
}

}  // namespace mg
