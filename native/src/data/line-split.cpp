#include "data/line-split.h"

#include <numeric>

#include "core/rng.h"

namespace mg {

std::vector<int> shuffle_lines(const std::vector<int> & tokens, int line_end, uint64_t seed) {
    std::vector<size_t> starts;  // line i is [starts[i], starts[i + 1])
    for (size_t i = 0; i < tokens.size(); i++)
        if (i == 0 || tokens[i - 1] == line_end) starts.push_back(i);
    const bool open_end = !tokens.empty() && tokens.back() != line_end;
    starts.push_back(tokens.size());
    const size_t n_lines = starts.size() - 1;
    std::vector<size_t> order(n_lines);
    std::iota(order.begin(), order.end(), size_t(0));
    Rng rng(seed ^ 0x11e5b1175ULL);  // a stream apart from the run's init and batch streams
    for (size_t i = n_lines; i > 1; i--) std::swap(order[i - 1], order[rng.below(uint32_t(i))]);  // Fisher-Yates
    std::vector<int> out;
    out.reserve(tokens.size() + (open_end ? 1 : 0));
    for (size_t line : order) {
        out.insert(out.end(), tokens.begin() + ptrdiff_t(starts[line]), tokens.begin() + ptrdiff_t(starts[line + 1]));
        if (line == n_lines - 1 && open_end) out.push_back(line_end);
    }
    return out;
}

size_t count_lines(const std::vector<int> & tokens, int line_end) {
    size_t n = 0;
    for (int t : tokens) n += t == line_end;
    return n + (!tokens.empty() && tokens.back() != line_end ? 1 : 0);
}

}  // namespace mg
