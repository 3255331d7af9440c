// adamw: Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW.
//   g = grad * grad_scale                       (grad_scale applies gradient clipping)
//   m = b1 m + (1-b1) g;   v = b2 v + (1-b2) g^2
//   param -= lr * (wd * param + (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps))
// param, m, v, grad (n); t is the 1-based step
#include <cmath>

#include "kernels/ref/ref.h"

namespace mg {

void adamw_update_ref(float * param, float * m, float * v, const float * grad, size_t n, float lr, float beta1,
                      float beta2, float eps, float weight_decay, float grad_scale, int t) {
    const float bc1 = 1.0f - std::pow(beta1, float(t));
    const float bc2 = 1.0f - std::pow(beta2, float(t));
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) {
        float g = grad[i] * grad_scale;
        float mi = beta1 * m[i] + (1.0f - beta1) * g;
        float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        float p = param[i] - lr * weight_decay * param[i];
        param[i] = p - lr * (mi / bc1) / (std::sqrt(vi / bc2) + eps);
    }
}

}  // namespace mg
