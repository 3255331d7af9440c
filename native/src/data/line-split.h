// Holding out whole lines. A text of short lines (a list of names, one per line, often sorted)
// split at its tail validates on the last lines of the sort order, each beside neighbours that
// share its prefix, so the val loss it prints is far better than the model is (names.txt:
// 1.55 at the tail against 2.04 on a shuffled copy). With TrainConfig::split_lines the run
// trains and validates on the text's lines in an order shuffled with its seed: the val split
// (the last val_fraction, moved back to a line start) is then a seeded random choice of whole
// lines, the train split the rest, and no line is in both.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mg {

// The lines of `tokens` (each up to and with its line_end token; a last line without one is given
// one) in an order shuffled with `seed`: the same text and seed give the same order.
std::vector<int> shuffle_lines(const std::vector<int> & tokens, int line_end, uint64_t seed);

// How many lines `tokens` holds (a last line without line_end counts).
size_t count_lines(const std::vector<int> & tokens, int line_end);

// Where the lines of tokens[begin, end) start (begin must be a line start; a last line without
// line_end counts), and the longest one's length in tokens, its line_end included.
struct LineIndex {
    std::vector<size_t> starts;
    size_t longest = 0;
};
LineIndex index_lines(const std::vector<int> & tokens, size_t begin, size_t end, int line_end);

// One batch row of T for the line at tokens[start] as its own sequence (TrainConfig::line_sequences):
//   inp = [line_end, c1 .. ck, line_end ..]   tgt = [c1 .. ck, line_end, ignore ..]
// with `ignore` (kIgnoreTarget) after the line's own line_end. The line, line_end included, must
// fit in T (the trainer checks the longest before it starts).
void line_row(const std::vector<int> & tokens, size_t start, int line_end, int T, int ignore, int * inp, int * tgt);

}  // namespace mg
