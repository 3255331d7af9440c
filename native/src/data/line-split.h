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

}  // namespace mg
