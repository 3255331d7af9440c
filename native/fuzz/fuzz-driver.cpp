// fuzz-checkpoint: a seeded mutation loop over LLVMFuzzerTestOneInput, for a sanitizer build
// with any compiler and a bounded time in ctest.
//   fuzz-checkpoint [--seconds S | --iterations N] [--seed X] [--write-seeds DIR] [input files...]
// Each iteration takes a valid seed checkpoint, stacks one to four mutations (bit flips, bytes set
// to 0/0xFF/0x7F/0x80, int32 fields set to INT_MIN/INT_MAX/huge/boundary values, float fields set
// to NaN/inf, truncation, section length and header edits, inserted and deleted bytes, sections
// removed or repeated), then recomputes the trailing checksum (15 times in 16), so that the
// mutations reach the parser behind it. A crash or a sanitizer report writes the input to
// fuzz-crash.bin (in the working folder) before the process dies (UBSan: with
// UBSAN_OPTIONS=abort_on_error=1, as ctest runs it); `fuzz-checkpoint fuzz-crash.bin` replays it.
#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>
#include <unistd.h>

#include <csignal>

#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "../tests/checkpoint-craft.h"
#include "core/rng.h"
#include "fuzz-checkpoint.h"

namespace {

std::string g_current;

// Writes the input being run to fuzz-crash.bin: from ASan's death callback, and from SIGABRT,
// which UBSan raises with abort_on_error=1 (its runtime does not call ASan's callback). Only
// async-signal-safe calls.
void dump_current() {
    int fd = ::open("fuzz-crash.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return;
    for (size_t done = 0; done < g_current.size();) {
        ssize_t k = ::write(fd, g_current.data() + done, g_current.size() - done);
        if (k <= 0) break;
        done += size_t(k);
    }
    ::close(fd);
    const char msg[] = "fuzz-checkpoint: the failing input is in fuzz-crash.bin\n";
    if (::write(2, msg, sizeof msg - 1) < 0) {}
}

void on_abort(int sig) {
    dump_current();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

const int32_t kInts[] = {INT_MIN, INT_MAX, 0, -1, 1, 2, 3, 7, 8, 9, 64, 255, 256, 4096, 4097, 65536, 65537,
                         100000, 1000000, 1 << 30, 0xD800, 0x10FFFF, 0x110000};
const float kFloats[] = {NAN, INFINITY, -INFINITY, -1.0f, 0.0f, 1e-30f, 1e30f, 64.0f, 65.0f, 0.5f};
const uint8_t kBytes[] = {0x00, 0xFF, 0x7F, 0x80, 0x01};

struct Mutator {
    mg::Rng rng;
    size_t below(size_t n) { return n ? size_t(rng.next_u64() % n) : 0; }

    // an offset inside a section's first bytes (where the fields are), or anywhere
    size_t field_offset(const std::string & f, size_t width) {
        std::vector<mgcraft::Section> s = mgcraft::sections(f);
        if (!s.empty() && below(4) != 0) {
            const mgcraft::Section & sec = s[below(s.size())];
            size_t span = size_t(std::min<uint64_t>(sec.len, 160));
            if (span >= width) return sec.data + below(span - width + 1) / 4 * 4;
        }
        return f.size() >= width ? below(f.size() - width + 1) : 0;
    }

    void mutate(std::string & f) {
        if (f.empty()) return;
        switch (below(12)) {
            case 0: f[below(f.size())] ^= char(1 << below(8)); break;
            case 1: f[below(f.size())] = char(kBytes[below(sizeof kBytes)]); break;
            case 2:
            case 3:
                if (f.size() >= 4) mgcraft::put<int32_t>(f, field_offset(f, 4), kInts[below(sizeof kInts / sizeof kInts[0])]);
                break;
            case 4:
                if (f.size() >= 4) mgcraft::put<float>(f, field_offset(f, 4), kFloats[below(sizeof kFloats / sizeof kFloats[0])]);
                break;
            case 5: f.resize(below(f.size())); break;  // truncation
            case 6: {  // a section's length
                std::vector<mgcraft::Section> s = mgcraft::sections(f);
                if (s.empty()) break;
                const mgcraft::Section & sec = s[below(s.size())];
                const uint64_t lens[] = {0, sec.len - 1, sec.len + 1, sec.len + 4, sec.len / 2, sec.len * 2, UINT64_MAX,
                                         UINT64_MAX / 4, rng.next_u64()};
                mgcraft::put<uint64_t>(f, sec.head + 4, lens[below(sizeof lens / sizeof lens[0])]);
                break;
            }
            case 7: {  // the header: version, flags or payload size
                if (f.size() < 24) break;
                const size_t at[] = {8, 12, 16};
                size_t where = at[below(3)];
                if (where == 16) mgcraft::put<uint64_t>(f, 16, below(2) ? rng.next_u64() : uint64_t(f.size()));
                else mgcraft::put<uint32_t>(f, where, uint32_t(kInts[below(sizeof kInts / sizeof kInts[0])]));
                break;
            }
            case 8: f.insert(below(f.size() + 1), std::string(1 + below(16), char(below(256)))); break;
            case 9: f.erase(below(f.size()), 1 + below(16)); break;
            case 10: {  // a section removed, or repeated
                std::vector<mgcraft::Section> s = mgcraft::sections(f);
                if (s.empty()) break;
                const mgcraft::Section & sec = s[below(s.size())];
                std::string whole = f.substr(sec.head, mgcraft::kHead + size_t(sec.len));
                if (below(2)) f.erase(sec.head, whole.size());
                else f.insert(below(2) ? sec.head : mgcraft::kHeader, whole);
                mgcraft::fix_payload(f);
                break;
            }
            default: {  // a vocabulary character
                std::vector<mgcraft::Section> s = mgcraft::sections(f);
                for (const mgcraft::Section & sec : s)
                    if (sec.tag == "VOCB" && sec.len >= 12)
                        mgcraft::put<uint32_t>(f, sec.data + 8 + below(size_t(sec.len - 8) / 4) * 4,
                                               uint32_t(kInts[below(sizeof kInts / sizeof kInts[0])]));
                break;
            }
        }
    }
};

std::string read_file(const char * p) { return mgcraft::read_file(p); }

}  // namespace

int main(int argc, char ** argv) {
    double seconds = 0;
    long iterations = 0;
    uint64_t seed = 1;
    std::vector<std::string> inputs;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--seconds" && i + 1 < argc) seconds = std::atof(argv[++i]);
        else if (a == "--iterations" && i + 1 < argc) iterations = std::atol(argv[++i]);
        else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--write-seeds" && i + 1 < argc) {
            const std::string dir = argv[++i];
            std::vector<std::string> seeds = mgfuzz::seed_checkpoints();
            for (size_t k = 0; k < seeds.size(); k++) mgcraft::write_file(dir + "/seed" + std::to_string(k) + ".bin", seeds[k]);
            std::printf("wrote %zu seed checkpoints to %s\n", seeds.size(), dir.c_str());
            return 0;
        } else inputs.push_back(a);
    }
    __sanitizer_set_death_callback(dump_current);
    std::signal(SIGABRT, on_abort);
    // files given: run each once (a crash to reproduce), no mutation
    if (!inputs.empty()) {
        for (const std::string & p : inputs) {
            g_current = read_file(p.c_str());
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(g_current.data()), g_current.size());
        }
        std::printf("ran %zu inputs: %zu accepted\n", inputs.size(), mgfuzz::outcome().accepted);
        return 0;
    }
    if (seconds <= 0 && iterations <= 0) seconds = 30;
    const std::vector<std::string> seeds = mgfuzz::seed_checkpoints();
    // the seeds themselves load and train: otherwise the loop below would test nothing deep
    for (const std::string & s : seeds) {
        g_current = s;
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(s.data()), s.size());
    }
    if (mgfuzz::outcome().accepted != seeds.size() || mgfuzz::outcome().trained != seeds.size()) {
        std::fprintf(stderr, "fuzz-checkpoint: a seed checkpoint did not load and train\n");
        return 1;
    }
    Mutator m{mg::Rng(seed)};
    auto t0 = std::chrono::steady_clock::now();
    long n = 0;
    size_t resealed = 0;
    for (;; n++) {
        double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if ((iterations > 0 && n >= iterations) || (seconds > 0 && elapsed >= seconds)) break;
        g_current = seeds[m.below(seeds.size())];
        for (size_t k = 1 + m.below(4); k > 0; k--) m.mutate(g_current);
        if (m.below(16) != 0) {
            mgcraft::reseal(g_current);
            resealed++;
        }
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(g_current.data()), g_current.size());
    }
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const mgfuzz::Outcome & o = mgfuzz::outcome();
    std::printf("fuzz-checkpoint: %ld mutated inputs in %.1f s (%.0f/s, seed %llu), %zu resealed; the reader accepted "
                "%zu, of which %zu trained a step and %zu were too large to run; no crash, no sanitizer report\n",
                n, elapsed, n / elapsed, (unsigned long long)seed, resealed, o.accepted - seeds.size(),
                o.trained - seeds.size(), o.skipped_large);
    return 0;
}
