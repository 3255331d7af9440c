// Finite-difference gradient checking against the tape's analytic gradients.
#pragma once
#include <cmath>
#include <cstdio>
#include <functional>
#include <vector>

#include "autograd/tape.h"

namespace mgtest {

// Accepted when |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).
// Float32 central differences with step eps carry about 1e-7 * |f| / eps of rounding noise, so
// the tolerances are set a few times above that and far below any real bug (which shows as
// errors of order one in relative terms).
struct GradTolerance {
    float eps = 1e-2f;
    float atol = 2e-3f;
    float rtol = 1e-2f;
    bool richardson = false;  // (4 D(eps/2) - D(eps)) / 3: truncation error O(eps^4) instead of O(eps^2)
};

struct GradResult {
    double max_abs = 0, max_rel = 0;
    int checked = 0, bad = 0;
};

// objective() recomputes the scalar (in double) from the current leaf values, without recording.
// analytic holds d objective / d x for every element of x; `stride` checks every stride-th element.
inline GradResult check_gradient(float * x, const float * analytic, size_t n, const std::function<double()> & objective,
                                 const GradTolerance & tol, size_t stride = 1) {
    GradResult r;
    for (size_t i = 0; i < n; i += stride) {
        float saved = x[i];
        auto central = [&](float h) {
            x[i] = saved + h;
            double fp = objective();
            x[i] = saved - h;
            double fm = objective();
            x[i] = saved;
            // the step actually taken in float, not the nominal one
            return (fp - fm) / (double(saved + h) - double(saved - h));
        };
        double num = central(tol.eps);
        if (tol.richardson) num = (4.0 * central(tol.eps * 0.5f) - num) / 3.0;
        double a = analytic[i];
        double diff = std::fabs(a - num);
        double scale = std::max(std::fabs(a), std::fabs(num));
        r.max_abs = std::max(r.max_abs, diff);
        if (scale > 1e-3) r.max_rel = std::max(r.max_rel, diff / scale);
        r.checked++;
        if (diff > tol.atol + tol.rtol * scale) {
            if (r.bad < 5) std::printf("    mismatch at %zu: analytic %.6g numeric %.6g\n", i, a, num);
            r.bad++;
        }
    }
    return r;
}

inline bool report(const char * name, const GradResult & r) {
    std::printf("  gradcheck %-28s checked %6d  max_abs %.3e  max_rel %.3e  %s\n", name, r.checked, r.max_abs, r.max_rel,
                r.bad ? "FAIL" : "ok");
    return r.bad == 0;
}

}  // namespace mgtest
