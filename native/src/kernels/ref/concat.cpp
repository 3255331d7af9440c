// concat: join two row-aligned tensors along channels; the recursion adapter's [state; input].
//   out[n] = [a[n], b[n]]
// out (N,CA+CB), a (N,CA), b (N,CB)
#include "kernels/ref/ref.h"

namespace mg {

void concat_forward_ref(float * out, const float * a, const float * b, size_t N, int CA, int CB) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        float * o = out + n * (CA + CB);
        for (int c = 0; c < CA; c++) o[c] = a[n * CA + c];
        for (int c = 0; c < CB; c++) o[CA + c] = b[n * CB + c];
    }
}

void concat_backward_ref(float * da, float * db, const float * dout, size_t N, int CA, int CB) {
#pragma omp parallel for schedule(static)
    for (size_t n = 0; n < N; n++) {
        const float * d = dout + n * (CA + CB);
        if (da)
            for (int c = 0; c < CA; c++) da[n * CA + c] += d[c];
        if (db)
            for (int c = 0; c < CB; c++) db[n * CB + c] += d[CA + c];
    }
}

}  // namespace mg
