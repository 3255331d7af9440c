#include "data/synthetic-corpus.h"

#include <vector>

#include "core/rng.h"

namespace mg {

namespace {

using Words = std::vector<const char *>;
const Words kDet = {"the", "a", "one", "every", "that"};
const Words kAdj = {"old", "young", "quiet", "bright", "small", "tired", "clever", "gentle", "brave", "grey"};
const Words kNoun = {"miller", "farmer", "child", "river", "garden", "cat", "sailor", "baker", "lantern", "horse",
                     "teacher", "bridge", "window", "forest", "letter"};
const Words kVerbT = {"found", "carried", "watched", "painted", "followed", "mended", "opened", "remembered"};
const Words kVerbI = {"walked", "slept", "waited", "sang", "laughed", "rested", "wandered", "listened"};
const Words kAdv = {"slowly", "softly", "early", "alone", "again", "happily"};
const Words kPrep = {"to", "near", "under", "beside", "across", "behind"};
const Words kConj = {"and", "but", "while", "so"};

struct Builder {
    Rng rng;
    std::string out;
    const char * pick(const Words & w) { return w[rng.below(uint32_t(w.size()))]; }
    void word(const char * w) {
        if (!out.empty() && out.back() != '\n') out += ' ';
        out += w;
    }
    void noun_phrase() {
        word(pick(kDet));
        if (rng.below(2)) word(pick(kAdj));
        word(pick(kNoun));
    }
    void verb_phrase() {
        switch (rng.below(3)) {
            case 0: word(pick(kVerbT)); noun_phrase(); break;
            case 1: word(pick(kVerbI)); if (rng.below(2)) word(pick(kAdv)); break;
            default: word(pick(kVerbI)); word(pick(kPrep)); noun_phrase(); break;
        }
    }
    void sentence() {
        size_t start = out.size() + (out.empty() || out.back() == '\n' ? 0 : 1);
        if (rng.below(5) == 0) {
            word(pick(kAdv));
            out += ',';
        }
        noun_phrase();
        verb_phrase();
        if (rng.below(3) == 0) {
            out += ',';
            word(pick(kConj));
            noun_phrase();
            verb_phrase();
        }
        out += rng.below(8) == 0 ? '!' : '.';
        if (start < out.size() && out[start] >= 'a' && out[start] <= 'z') out[start] = char(out[start] - 'a' + 'A');
    }
};

}  // namespace

std::string synthetic_corpus(size_t min_bytes, uint64_t seed) {
    Builder b{Rng(seed), {}};
    b.out.reserve(min_bytes + 256);
    while (b.out.size() < min_bytes) {
        int sentences = 2 + int(b.rng.below(4));
        for (int i = 0; i < sentences; i++) b.sentence();
        b.out += '\n';
    }
    return b.out;
}

}  // namespace mg
