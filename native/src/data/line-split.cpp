#include "data/line-split.h"

#include <algorithm>
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

LineIndex index_lines(const std::vector<int> & tokens, size_t begin, size_t end, int line_end) {
    LineIndex ix;
    for (size_t i = begin; i < end; i++) {
        if (i == begin || tokens[i - 1] == line_end) {
            if (!ix.starts.empty()) ix.longest = std::max(ix.longest, i - ix.starts.back());
            ix.starts.push_back(i);
        }
    }
    if (!ix.starts.empty()) ix.longest = std::max(ix.longest, end - ix.starts.back());
    return ix;
}

void line_row(const std::vector<int> & tokens, size_t start, int line_end, int T, int ignore, int * inp, int * tgt) {
    std::fill(inp, inp + T, line_end);
    std::fill(tgt, tgt + T, ignore);
    for (int t = 0; t < T && start + size_t(t) < tokens.size(); t++) {
        const int next = tokens[start + size_t(t)];
        tgt[t] = next;
        if (t + 1 < T) inp[t + 1] = next;
        if (next == line_end) break;
    }
}

size_t count_lines(const std::vector<int> & tokens, int line_end) {
    size_t n = 0;
    for (int t : tokens) n += t == line_end;
    return n + (!tokens.empty() && tokens.back() != line_end ? 1 : 0);
}

}  // namespace mg
